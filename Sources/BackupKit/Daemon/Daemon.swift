import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The long-running process behind `backupd run`: holds the state directory's lock, then runs a
/// `ServiceGroup` of the scheduler (with its runs), the control socket, SIGHUP reloads, crash
/// recovery, the stale-upload sweep and the systemd watchdog. SIGTERM/SIGINT stop it gracefully.
///
/// The parts are made here, each given what it needs, in an order without cycles: the config in
/// force (`ConfigStore`), the status told to systemd, the scheduler, the run coordinator (which
/// reports to the scheduler), the reloader; the services are made from them in `makeServiceGroup`.
/// `Daemon.live` supplies the real dependencies.
public final class Daemon: Sendable {
    let configs: ConfigStore
    let history: HistoryStore
    let dependencies: Dependencies
    let logger: Logger
    let status: DaemonStatus
    let scheduler: SchedulerService
    let coordinator: RunCoordinator
    let reloader: ConfigReloader

    /// Opens the history (creating the state directory) for a validated config.
    public convenience init(configPath: String, config: BackupConfig, dependencies: Dependencies, logger: Logger) throws {
        try self.init(
            configs: ConfigStore(path: configPath, config: config), history: HistoryStore(stateDirectory: config.stateDirectory),
            dependencies: dependencies, logger: logger)
    }

    /// A daemon over the config in `configs` and `history` (the config's state directory's, shared
    /// with the caller's own parts, which may follow `configs` too).
    public init(configs: ConfigStore, history: HistoryStore, dependencies: Dependencies, logger: Logger) {
        self.configs = configs
        self.history = history
        self.dependencies = dependencies
        self.logger = logger
        status = DaemonStatus(notifier: dependencies.notifier, clock: dependencies.clock, configs: configs, logger: logger)
        // Jobs are installed when scheduling starts (after the state lock): see `SchedulingService`.
        scheduler = SchedulerService(
            jobs: [], configuration: Self.schedulerConfiguration(configs.current), clock: dependencies.clock, logger: logger,
            sleep: dependencies.sleep)
        coordinator = RunCoordinator(
            configs: configs, scheduler: scheduler, executor: dependencies.executor, clock: dependencies.clock, history: history,
            observers: dependencies.observers(history), verifier: dependencies.verifier, status: status, logger: logger,
            claimer: dependencies.claimer)
        reloader = ConfigReloader(
            configs: configs, sources: dependencies.sources, scheduler: scheduler, history: history, status: status,
            hooks: dependencies.reloaded, schedulesVerifications: dependencies.verifier != nil, logger: logger)
    }

    /// The config in force.
    public var config: BackupConfig { configs.current }

    /// Names of the jobs running now.
    public var runningJobs: [String] { coordinator.runningJobs }

    /// Whether scheduling runs (run-now requests are taken).
    var isScheduling: Bool { coordinator.state.withLock { $0.accepting } }

    /// Takes the state lock (waiting while a daemon-less run-now holds it, failing at once when
    /// another daemon does), then runs until SIGTERM or SIGINT and a graceful stop.
    public func run() async throws {
        let config = configs.current
        let logger = self.logger
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
        for stopped in dependencies.stopped { stopped() }
    }

    /// The daemon's services as a group, stopped by `gracefulShutdownSignals` (none: by
    /// `triggerGracefulShutdown()`, as tests do). The lock is the caller's business; given, it is
    /// watched (with the history) and runs are refused while it is not this daemon's.
    public func makeServiceGroup(gracefulShutdownSignals: [UnixSignal], lock: StateLock? = nil) async -> ServiceGroup {
        let config = configs.current
        let (clock, stores, timeout) = (dependencies.clock, dependencies.stores, dependencies.cleanupTimeout)
        logger.notice("backupd starting", metadata: [
            "backupd.version": "\(BackupKit.version)", "config.path": "\(configs.path)", "config.jobs": "\(config.jobs.count)",
            "history.path": "\(history.path)"])
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let coordinator = self.coordinator
        let wal = dependencies.walPushing(configs, logger)?.recording(in: history, clock: clock, logger: logger, failed: dependencies.walPushFailed)
        let control = ControlServer(stateDirectory: config.stateDirectory, logger: logger, wal: wal) { request, reply in
            coordinator.submit(request, reply: reply)
        }
        control.bind()
        // Stopped in reverse order: the scheduler first (its runs finish or are cancelled), the
        // watchdog last (it pings while backups finish). Parts that may end early (one-shot
        // clean-ups, the sweeper and metrics services passed in) wait for their turn to stop.
        let background: [any Service] = [
            WatchdogService(scheduler: scheduler, status: status),
            OwnershipWatchService(status: status, history: history, lock: lock, logger: logger),
            RecoveryService(history: history, configs: configs, stores: stores, clock: clock, timeout: timeout, logger: logger),
            StaleUploadSweepService(
                configs: configs, stores: stores, clock: clock, timeout: timeout, logger: logger, claims: JobTaskClaimer(sharing: dependencies.claimer)),
            ConditionalProbeService(config: configs.reader, probes: dependencies.claimer.probes, logger: logger),
        ] + dependencies.services + [control]
        var services = background.map { ServiceGroupConfiguration.ServiceConfiguration(service: UntilShutdown(service: $0, logger: logger)) }
        services += [
            .init(service: ReloadService(reloader: reloader, signals: hangups)),
            .init(service: SchedulingService(
                scheduler: scheduler, coordinator: coordinator, configs: configs, history: history,
                verifications: dependencies.verifier != nil, status: status, logger: logger)),
        ]
        var groupLogger = logger
        groupLogger.logLevel = max(logger.logLevel, .notice)
        return ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: groupLogger))
    }

    /// Re-reads the config (what SIGHUP does); a bad file is logged and the old config kept.
    public func reload() {
        reloader.reload()
    }

    /// Starts a run of `job` now, through the scheduler, so overlap and concurrency rules hold.
    public func runNow(job: String) {
        coordinator.runNow(job: job)
    }
}
