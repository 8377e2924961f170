import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// The real parts that take, record and follow up a backup, made one way for both processes that
/// run backups: the daemon (`Daemon.live`) and a daemon-less `backupd run-now`.
public struct DaemonParts: Sendable {
    /// Who the parts are for.
    public enum Role: Sendable {
        /// The daemon: metrics kept in a registry whenever the config has `metrics`.
        case daemon
        /// A run-now in this process: metrics only as the textfile; `progress` counts the upload.
        case runNow(progress: TransferProgress?)
    }

    /// The config's history (failed aborts, recent sizes, metrics and every run).
    public let history: HistoryStore
    /// The source of time.
    public let clock: any WallClock
    /// S3 over libcurl; failed aborts are kept in the history for the sweeper.
    public let stores: any ObjectStoreProvider
    /// Takes backups.
    public let executor: BackupRunner
    /// Sends notifications in the background (flush before exit).
    public let notifications: NotificationSender
    /// The metrics registry (the daemon's, when the config has `metrics`).
    public let metricsRegistry: MetricsRegistry?
    /// What a successful reload does to the metrics, when there are any.
    public let reloadMetrics: (@Sendable (BackupConfig) -> Void)?
    /// What follows each recorded run: verification, retention, notifications, metrics.
    public let observers: [any RunObserver]
    /// Verifies and records verifications (the daemon's scheduled ones).
    public let verifyRunner: VerifyRunner

    /// The parts for `config` over `history`; logs go to `logger`.
    public init(
        config: BackupConfig, history: HistoryStore, role: Role, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let clock = SystemWallClock()
        let launcher = PosixProcessLauncher()
        let stores = S3StoreProvider(logger: logger, abortLedger: history)
        var counted: any ObjectStoreProvider = stores
        if case .runNow(let progress?) = role { counted = ProgressStoreProvider(stores, progress: progress, measure: .object) }
        executor = BackupRunner(
            stores: counted, launcher: launcher, clock: clock, environment: environment,
            recentSize: { job in (try? history.recentBackupSize(job: job.name)) ?? nil },
            recentDumpSizes: { job in (try? history.recentDumpSizes(job: job.name)) ?? [] })
        let notifications = NotificationSender.live(logger: logger)
        var metrics: [any RunObserver] = []
        var registry: MetricsRegistry?
        var reload: (@Sendable (BackupConfig) -> Void)?
        let wantsMetrics = if case .daemon = role { config.metrics != nil } else { config.metrics?.textfile != nil }
        if wantsMetrics {
            let made = MetricsObservers.make(config: config, history: history, clock: clock, logger: logger)
            metrics = made.observers
            registry = made.registry
            reload = MetricsObservers.reloaded(registry: made.registry, observers: made.observers)
        }
        observers = RunObservers.standard(
            history: history, stores: stores, launcher: launcher, environment: environment, clock: clock,
            notifications: notifications, metrics: metrics)
        verifyRunner = VerifyRunner(
            stores: stores, launcher: launcher, environment: environment, clock: clock, history: history,
            observers: RunObservers.verificationObservers(notifier: Notifier(sender: notifications), metrics: metrics))
        self.history = history
        self.clock = clock
        self.stores = stores
        self.notifications = notifications
        metricsRegistry = registry
        reloadMetrics = reload
    }

    /// Takes and records runs with these parts.
    public var recorder: RunRecorder {
        RunRecorder(history: history, executor: executor, clock: clock, observers: observers)
    }
}
