import BackupCore
import BackupHistory

/// The observers every process that runs backups installs (the daemon and a daemon-less
/// `run-now`), in the order they act on a finished run.
public enum RunObservers {
    /// Verification right after the backup, retention (prune, history trim), then notifications
    /// (sent in the background) and `metrics`.
    public static func standard(
        history: HistoryStore, stores: any ObjectStoreProvider, launcher: any ProcessLauncher, environment: [String: String],
        clock: any WallClock, notifications: NotificationSender, metrics: [any RunObserver] = []
    ) -> [any RunObserver] {
        let notifier = Notifier(sender: notifications)
        let verifier = VerifyRunner(
            stores: stores, launcher: launcher, environment: environment, clock: clock, history: history,
            observers: verificationObservers(notifier: notifier, metrics: metrics))
        return [AfterBackupVerifier(runner: verifier)]
            + RetentionObserver.standard(history: history, stores: stores, clock: clock)
            + [notifier] + metrics
    }

    /// What hears of each verification: the notifier (`verification_failed`) and those of the
    /// metrics observers that keep verification results.
    public static func verificationObservers(notifier: Notifier, metrics: [any RunObserver]) -> [any VerificationObserver] {
        [notifier] + metrics.compactMap { $0 as? any VerificationObserver }
    }
}
