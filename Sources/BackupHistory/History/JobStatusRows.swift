/// The newest rows of each job that its status is computed from.
public struct JobStatusRows: Sendable, Equatable {
    /// The newest run of any status.
    public var lastRuns: [String: RunRecord] = [:]
    /// The newest run that ended other than skipped: succeeded, failed, interrupted (or a status a
    /// later version adds).
    public var lastAttempts: [String: RunRecord] = [:]
    /// The newest successful run.
    public var lastSuccesses: [String: RunRecord] = [:]
    /// The newest run that stored a suspicious backup nobody acknowledged yet.
    public var suspicious: [String: RunRecord] = [:]
    /// The newest failed verification, when it is the newest verification that ran at its
    /// destination (a later passing one there clears it).
    public var failedVerifications: [String: VerificationRecord] = [:]
    /// PITR jobs' WAL archive state.
    public var walArchives: [String: WALArchiveState] = [:]

    /// No rows (no history yet).
    public init() {}
}
