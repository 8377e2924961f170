/// The state of a run in the history; stored as its raw value.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Started and not finished (or the daemon died during it; see `interruptRunningRuns`).
    case running
    /// The backup was uploaded and verified.
    case succeeded
    /// The run ended with an error.
    case failed
    /// The run never started (overlap, queue, missed slot); the reason is in `error`.
    case skipped
    /// The daemon stopped or crashed while the run was in progress.
    case interrupted
    /// The backup was stored at some but not all of the job's destinations (see the run's destination results).
    case partial
    /// Another host of the fleet holds the slot (`runOn: "any"`): `claimed by HOST`, or `lost its
    /// claim to HOST` for a run whose lease was taken over; no backup of this host's for the slot.
    case claimed
}
