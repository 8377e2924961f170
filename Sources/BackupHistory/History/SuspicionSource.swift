/// Which backups are suspicious (far smaller than their recent peers) and not acknowledged:
/// retention keeps them as extras and never counts them toward its rules. The history answers.
public protocol SuspicionSource: Sendable {
    /// Those of `ids` (backup ids of `job`) that are suspicious and unacknowledged. Throws when
    /// this cannot be known (then nothing may be deleted).
    func suspiciousBackupIDs(job: String, among ids: [String]) throws -> Set<String>
}

/// No backup is suspicious (no history to ask).
public struct NoSuspicion: SuspicionSource {
    /// The empty source.
    public init() {}

    public func suspiciousBackupIDs(job: String, among ids: [String]) throws -> Set<String> { [] }
}
