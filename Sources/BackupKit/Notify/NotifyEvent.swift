import BackupHistory

/// What a notification announces.
public enum NotifyEvent: String, Sendable, Hashable, CaseIterable {
    /// A run started.
    case start
    /// A run stored its backup.
    case success
    /// A run failed or was interrupted.
    case failure
    /// A fan-out run: some destinations stored the backup, others failed.
    case partial
    /// A run stored its backup, but the dump is suspiciously small against its recent peers
    /// (sent after `success`).
    case backupSuspicious = "backup_suspicious"
    /// A scheduled or after-backup verification found a stored backup damaged (not sent when a
    /// verification could not run, e.g. `pg_restore` is not installed here).
    case verificationFailed = "verification_failed"
    /// A PITR job's WAL archiving started failing: the daemon could not store a pushed WAL file
    /// (sent once when archiving goes from working to failing, not at every retry).
    case walPushFailed = "wal_push_failed"

    /// The event for a finished run's outcome.
    public static func of(_ outcome: RunOutcome) -> NotifyEvent {
        switch outcome.status {
        case .succeeded: return .success
        case .partial: return .partial
        default: return .failure
        }
    }
}
