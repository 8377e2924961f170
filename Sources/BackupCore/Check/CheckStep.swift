/// One operation `backupd check` tried, and how it went.
public struct CheckStep: Sendable, Equatable {
    /// How a step ended.
    public enum Outcome: Sendable, Equatable {
        /// It worked; the detail says what was seen.
        case ok(String)
        /// It failed; the detail is the exact error.
        case failed(String)
        /// It was not tried because an earlier step it needs failed.
        case skipped(String)
        /// It found something a backup does without (a restore tool); the check still passes.
        case warning(String)
    }

    /// The S3 operation (`PutObject`, ...), `Endpoint`, or a database check (`dump tool`, `login`, ...).
    public var name: String
    /// What happened.
    public var outcome: Outcome

    /// Describes a step.
    public init(name: String, outcome: Outcome) {
        self.name = name
        self.outcome = outcome
    }

    /// Whether the step failed.
    public var failed: Bool {
        if case .failed = outcome { return true }
        return false
    }
}
