import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

extension Daemon {
    /// The daemon as `backupd run` starts it, with the real parts: the one composition root.
    ///
    /// In order: the config in force (`ConfigStore`, which everything that follows reloads
    /// reads), the history, the parts that take and follow up runs (`DaemonParts`: S3 stores,
    /// backup runner, notifications, metrics, observers, verify runner), the metrics listener,
    /// then the daemon itself (status, scheduler, run coordinator, reloader) with the scheduled
    /// verifier, the upload sweeper and the listener among its services. Throws when the history
    /// cannot be opened or the metrics address cannot be bound.
    public static func live(
        configPath: String, config: BackupConfig, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Daemon {
        let configs = ConfigStore(path: configPath, config: config)
        // One connection for the daemon and the parts around it (failed aborts, sizes, metrics, the sweeper).
        let history = try HistoryStore(stateDirectory: config.stateDirectory)
        let parts = DaemonParts(config: config, history: history, role: .daemon, logger: logger, environment: environment)
        let listener = try parts.metricsRegistry.flatMap { registry in
            try config.metrics?.listen.map { try MetricsListener(address: $0, registry: registry, logger: logger) }
        }
        var dependencies = Dependencies(
            clock: parts.clock, notifier: SystemdNotifier(), executor: parts.executor, stores: parts.stores, sources: .live,
            observers: { [observers = parts.observers] _ in observers })
        var verifyRunner = parts.verifyRunner
        verifyRunner.pitrDrillCommand = .current(configPath: configPath)
        dependencies.verifier = ScheduledVerifier(runner: verifyRunner, config: configs.reader, clock: parts.clock, logger: logger)
        dependencies.services.append(
            UploadSweeper(history: history, configuration: configs.reader, stores: parts.stores, clock: parts.clock, logger: logger))
        if let listener { dependencies.services.append(listener) }
        if let registry = parts.metricsRegistry {
            dependencies.services.append(
                FleetMetricsService(fleet: registry.fleet, config: configs.reader, stores: parts.stores, clock: parts.clock, logger: logger))
        }
        if let reload = parts.reloadMetrics { dependencies.reloaded.append(reload) }
        let notifications = parts.notifications
        let notifier = Notifier(sender: notifications)
        dependencies.walPushFailed = { [clock = parts.clock] job, name, error in
            guard let job = configs.current.job(named: job) else { return }
            notifier.walPushFailed(job: job, name: name, error: error, at: clock.now())
        }
        dependencies.stopped.append { _ = notifications.flush(timeout: .seconds(10)) }
        return Daemon(configs: configs, history: history, dependencies: dependencies, logger: logger)
    }
}
