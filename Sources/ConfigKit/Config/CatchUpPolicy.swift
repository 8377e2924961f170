/// What a job does about a scheduled run it missed (daemon down, suspend, clock stepped forward).
public enum CatchUpPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Run once as soon as possible, however many slots were missed (the default).
    case once
    /// Record the missed run as skipped and wait for the next slot.
    case none
}
