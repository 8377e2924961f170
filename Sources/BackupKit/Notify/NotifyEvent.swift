/// What a notification announces.
public enum NotifyEvent: String, Sendable, Hashable, CaseIterable {
    /// A run started.
    case start
    /// A run stored its backup.
    case success
    /// A run failed or was interrupted.
    case failure
    /// Reserved for fan-out: some destinations stored the backup, others failed.
    case partial

    /// The event for a finished run's outcome.
    public static func of(_ outcome: RunOutcome) -> NotifyEvent {
        outcome.status == .succeeded ? .success : .failure
    }
}
