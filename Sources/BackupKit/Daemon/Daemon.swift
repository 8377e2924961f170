import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The long-running process behind `backupd run`: holds the state directory's lock, then runs a
/// `ServiceGroup` of the scheduler (with its runs), the control socket, SIGHUP reloads, crash
/// recovery, the stale-upload sweep and the systemd watchdog. SIGTERM/SIGINT stop it gracefully.
public final class Daemon: Sendable {
    let coordinator: RunCoordinator

    /// Opens the history (creating the state directory) for a validated config.
    public convenience init(configPath: String, config: BackupConfig, dependencies: Dependencies, logger: Logger) throws {
        try self.init(
            configPath: configPath, config: config, history: HistoryStore(stateDirectory: config.stateDirectory), dependencies: dependencies,
            logger: logger)
    }

    /// A daemon over `history` (the config's state directory's, shared with the caller's own services).
    public init(configPath: String, config: BackupConfig, history: HistoryStore, dependencies: Dependencies, logger: Logger) {
        coordinator = RunCoordinator(configPath: configPath, config: config, dependencies: dependencies, history: history, logger: logger)
    }

    /// The config in force.
    public var config: BackupConfig { coordinator.config }

    /// Names of the jobs running now.
    public var runningJobs: [String] { coordinator.runningJobs }

    /// Takes the state lock (waiting while a daemon-less run-now holds it, failing at once when
    /// another daemon does), then runs until SIGTERM or SIGINT and a graceful stop.
    public func run() async throws {
        let config = coordinator.config
        let logger = coordinator.logger
        let lock = try await StateLock.acquireWaitingForRunNow(stateDirectory: config.stateDirectory) { holder in
            logger.notice("waiting for the state lock: backupd run-now is running a backup", metadata: [
                "lock.path": "\(StateLock.path(stateDirectory: config.stateDirectory))", "lock.pid": "\(holder.pid)"])
        }
        defer { withExtendedLifetime(lock) {} }
        // Secrets a killed backupd left in a fallback directory (memory files leave none).
        for path in SecretDirectory.removeStale() {
            logger.notice("removed a credentials directory a stopped backupd left behind", metadata: ["secrets.path": "\(path)"])
        }
        let group = await makeServiceGroup(gracefulShutdownSignals: [.sigterm, .sigint], lock: lock)
        try await group.run()
        logger.notice("backupd stopped")
    }

    /// The daemon's services as a group, stopped by `gracefulShutdownSignals` (none: by
    /// `triggerGracefulShutdown()`, as tests do). The lock is the caller's business; given, it is
    /// watched (with the history) and runs are refused while it is not this daemon's.
    public func makeServiceGroup(gracefulShutdownSignals: [UnixSignal], lock: StateLock? = nil) async -> ServiceGroup {
        let config = coordinator.config
        let logger = coordinator.logger
        let timeout = coordinator.dependencies.cleanupTimeout
        logger.notice("backupd starting", metadata: [
            "backupd.version": "\(BackupKit.version)", "config.path": "\(coordinator.configPath)", "config.jobs": "\(config.jobs.count)",
            "history.path": "\(coordinator.history.path)"])
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let coordinator = self.coordinator
        let control = ControlServer(stateDirectory: config.stateDirectory, logger: logger) { request, reply in
            coordinator.submit(request, reply: reply)
        }
        // Stopped in reverse order: the scheduler first (its runs finish or are cancelled), the
        // watchdog last (it pings while backups finish). Parts that may end early (one-shot
        // clean-ups, the sweeper and metrics services passed in) wait for their turn to stop.
        let background: [any Service] = [
            WatchdogService(coordinator: coordinator),
            OwnershipWatchService(coordinator: coordinator, lock: lock),
            RecoveryService(coordinator: coordinator, timeout: timeout),
            StaleUploadSweepService(coordinator: coordinator, timeout: timeout),
        ] + coordinator.dependencies.services + [control]
        var services = background.map { ServiceGroupConfiguration.ServiceConfiguration(service: UntilShutdown(service: $0, logger: logger)) }
        services += [
            .init(service: ReloadService(coordinator: coordinator, signals: hangups)),
            .init(service: SchedulingService(coordinator: coordinator)),
        ]
        var groupLogger = logger
        groupLogger.logLevel = max(logger.logLevel, .notice)
        return ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: groupLogger))
    }

    /// Re-reads the config (what SIGHUP does); a bad file is logged and the old config kept.
    public func reload() {
        coordinator.reload()
    }

    /// Starts a run of `job` now, through the scheduler, so overlap and concurrency rules hold.
    public func runNow(job: String) {
        coordinator.runNow(job: job)
    }
}
