/// Why a run started; stored in the history as its raw value.
public enum RunTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    /// The job's schedule came due.
    case schedule
    /// A user asked for it (`backupd run-now`).
    case runNow = "run-now"
    /// A slot was missed (downtime, suspend, clock step) and the job's policy is to catch up once.
    case catchUp = "catch-up"
}
