/// Which hosts run a job (`runOn`): this host alone, or exactly one host of the fleet per slot.
public enum RunOn: String, Sendable, CaseIterable, Hashable {
    /// Every host running this config runs the job (today's behaviour, the default).
    case this
    /// One host per slot, decided by a claim object in the job's first destination.
    case any
}
