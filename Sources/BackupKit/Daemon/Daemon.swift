import Dispatch
import Foundation
import Logging
import Synchronization

/// The long-running service behind `backupd run`: recovers from a crash, schedules every enabled
/// job on one wall-clock timer, runs backups on their own threads, reloads on SIGHUP and stops
/// gracefully on SIGTERM/SIGINT, keeping systemd informed throughout.
public final class Daemon: Sendable {
    /// Everything the daemon needs from outside.
    public struct Dependencies: Sendable {
        /// The source of time.
        public var clock: any WallClock
        /// Talks to systemd (a no-op outside systemd).
        public var notifier: SystemdNotifier
        /// Takes backups.
        public var executor: any BackupExecutor
        /// Opens destinations' stores, to clean up uploads a crash left open.
        public var stores: any ObjectStoreProvider
        /// Reads config files (and their secrets) on reload.
        public var sources: ConfigSources
        /// What follows each recorded run (after-backup verification).
        public var observers: [any RunObserver]

        /// Groups the dependencies.
        public init(
            clock: any WallClock, notifier: SystemdNotifier, executor: any BackupExecutor, stores: any ObjectStoreProvider, sources: ConfigSources,
            observers: [any RunObserver] = []
        ) {
            self.clock = clock
            self.notifier = notifier
            self.executor = executor
            self.stores = stores
            self.sources = sources
            self.observers = observers
        }
    }

    private struct ActiveRun {
        var cancellation: RunCancellation
        var scheduledFor: Date
    }

    private struct State {
        var config: BackupConfig
        var running: [String: ActiveRun] = [:]
        var stopping = false
    }

    private let configPath: String
    private let dependencies: Dependencies
    private let logger: Logger
    /// The run history (the one store of this process on that file: share it, never open another).
    public let history: HistoryStore
    private let state: Mutex<State>
    private let runs = DispatchGroup()
    private let scheduler = Mutex<SchedulerService?>(nil)

    /// Opens the history (creating the state directory) for a validated config.
    public init(configPath: String, config: BackupConfig, dependencies: Dependencies, logger: Logger) throws {
        self.configPath = configPath
        self.dependencies = dependencies
        self.logger = logger
        history = try HistoryStore(stateDirectory: config.stateDirectory)
        state = Mutex(State(config: config))
    }

    /// The config in force.
    public var config: BackupConfig { state.withLock { $0.config } }

    /// Runs until SIGTERM or SIGINT and a graceful stop.
    public func run() async throws {
        let signals = SignalListener(signals: [SIGTERM, SIGINT, SIGHUP])
        try start()
        let watchdog = Task { await self.watchdogLoop() }
        defer { watchdog.cancel() }
        for await signal in signals.stream {
            if signal == SIGHUP {
                reload()
            } else {
                logger.notice("backupd stopping", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
                break
            }
        }
        signals.cancel()
        await shutdown()
    }

    /// Recovers from a crash, starts the scheduler and tells systemd the daemon is ready.
    public func start() throws {
        let config = self.config
        logger.notice("backupd starting", metadata: [
            "version": "\(BackupKit.version)", "config": "\(configPath)", "jobs": "\(config.jobs.count)",
            "history": "\(history.path)"])
        recover(config: config)

        let service = SchedulerService(
            jobs: try scheduledJobs(config), configuration: Self.schedulerConfiguration(config),
            clock: dependencies.clock, logger: logger,
            onAction: { [weak self] action in self?.handle(action) })
        scheduler.withLock { $0 = service }
        service.start()
        logSchedule(config)
        notify { try $0.ready(status: self.statusLine()) }
    }

    /// Starts a run of `job` now, through the scheduler, so overlap and concurrency rules hold.
    public func runNow(job: String) {
        scheduler.withLock { $0 }?.runNow(job: job)
    }

    /// Names of the jobs running now.
    public var runningJobs: [String] { state.withLock { Array($0.running.keys).sorted() } }

    /// Re-reads the config; a bad file is logged and the old config kept.
    public func reload() {
        notify { try $0.reloading(status: "reloading \(self.configPath)") }
        do {
            let (config, warnings) = try BackupConfig.load(path: configPath, sources: dependencies.sources)
            for warning in warnings { logger.warning("\(warning.description)") }
            let jobs = try scheduledJobs(config)
            state.withLock { $0.config = config }
            scheduler.withLock { $0 }?.replaceJobs(jobs, configuration: Self.schedulerConfiguration(config))
            logger.notice("config reloaded", metadata: ["config": "\(configPath)", "jobs": "\(config.jobs.count)"])
            logSchedule(config)
        } catch let error as ConfigError {
            logger.error("config reload failed; keeping the previous config", metadata: ["config": "\(configPath)", "problems": "\(error.errors.count)"])
            for problem in error.problems { logger.error("\(problem.description)") }
        } catch {
            logger.error("config reload failed; keeping the previous config", metadata: ["error": "\(error)"])
        }
        notify { try $0.ready(status: self.statusLine()) }
    }

    /// Stops scheduling, lets running backups finish within the grace period, then cancels them.
    public func shutdown() async {
        let grace = state.withLock { state -> Duration in
            state.stopping = true
            return state.config.shutdownGracePeriod
        }
        scheduler.withLock { $0 }?.stop()
        let running = state.withLock { Array($0.running.keys) }
        notify { try $0.stopping(status: running.isEmpty ? "stopping" : "stopping: waiting for \(running.joined(separator: ", "))") }
        if !running.isEmpty {
            logger.notice("waiting for running backups", metadata: ["jobs": "\(running.joined(separator: ","))", "grace": "\(DurationText.format(grace))"])
        }
        if !(await waitForRuns(timeout: grace)) {
            let reason = "backupd was stopped and the shutdown grace period of \(DurationText.format(grace)) ran out"
            for (job, run) in state.withLock({ $0.running }) {
                logger.warning("cancelling backup", metadata: ["job": "\(job)"])
                run.cancellation.cancel(reason: reason)
            }
            _ = await waitForRuns(timeout: .seconds(60))
        }
        logger.notice("backupd stopped")
    }

    // MARK: - Runs

    private func handle(_ action: SchedulerAction) {
        switch action {
        case .start(let run):
            start(run)
        case .skip(let run, let reason):
            logger.warning("run skipped", metadata: ["job": "\(run.job)", "reason": "\(reason.description)", "scheduled": "\(run.scheduledFor)"])
            do {
                _ = try history.insertSkipped(job: run.job, trigger: run.trigger, scheduledAt: run.scheduledFor, at: dependencies.clock.now(), reason: reason.description)
            } catch {
                logger.error("cannot record a skipped run", metadata: ["job": "\(run.job)", "error": "\(error)"])
            }
        case .queued(let run):
            logger.info("run queued: maxConcurrentJobs reached", metadata: ["job": "\(run.job)"])
        case .armTimer, .disarmTimer:
            break
        }
    }

    private func start(_ run: ScheduledRun) {
        let cancellation = RunCancellation()
        let prepared: (JobConfig, BackupConfig)? = state.withLock { state in
            guard !state.stopping, let job = state.config.job(named: run.job) else { return nil }
            state.running[run.job] = ActiveRun(cancellation: cancellation, scheduledFor: run.scheduledFor)
            return (job, state.config)
        }
        guard let (job, config) = prepared else {
            scheduler.withLock { $0 }?.runFinished(job: run.job)
            return
        }
        runs.enter()
        let recorder = RunRecorder(history: history, executor: dependencies.executor, clock: dependencies.clock, observers: dependencies.observers)
        let thread = Thread { [self] in
            defer {
                state.withLock { _ = $0.running.removeValue(forKey: run.job) }
                scheduler.withLock { $0 }?.runFinished(job: run.job)
                notify { try $0.status(self.statusLine()) }
                runs.leave()
            }
            do {
                _ = try recorder.perform(run, job: job, config: config, cancellation: cancellation, logger: logger)
            } catch {
                logger.critical("cannot write the history; the run's result is lost", metadata: ["job": "\(run.job)", "error": "\(error)"])
            }
        }
        thread.name = "backup \(run.job)"
        thread.start()
        notify { try $0.status(self.statusLine()) }
    }

    private func waitForRuns(timeout: Duration) async -> Bool {
        let group = runs
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: group.wait(timeout: .now() + timeout.seconds) == .success)
            }
        }
    }

    // MARK: - Recovery

    /// Marks runs a crash left `running` as interrupted and aborts their uploads, then aborts
    /// stale uploads (older than a day) under every job's prefix.
    private func recover(config: BackupConfig) {
        let now = dependencies.clock.now()
        do {
            let interrupted = try history.interruptRunningRuns(
                at: now, reason: "backupd stopped during this run (crash, kill or power loss); its upload was aborted at the next start")
            for run in interrupted {
                logger.warning("run was interrupted by a crash", metadata: ["job": "\(run.job)", "run": "\(run.id)", "started": "\(run.startedAt)"])
            }
            for run in try history.uploadsToAbort() {
                guard let uploadID = run.uploadID, let key = run.objectKey, let name = run.destination,
                      let destination = config.destination(named: name)
                else {
                    logger.warning("cannot abort an open upload: its destination is no longer configured", metadata: ["run": "\(run.id)", "destination": "\(run.destination ?? "?")"])
                    continue
                }
                do {
                    try dependencies.stores.store(for: destination).abortUpload(key: key, uploadID: uploadID)
                    try history.markUploadClosed(runID: run.id)
                    logger.notice("aborted the upload of an interrupted run", metadata: ["run": "\(run.id)", "s3.key": "\(key)", "s3.upload_id": "\(uploadID)"])
                } catch {
                    logger.error("cannot abort an interrupted run's upload; will retry at the next start", metadata: ["run": "\(run.id)", "s3.key": "\(key)", "error": "\(error)"])
                }
            }
        } catch {
            logger.error("crash recovery failed", metadata: ["error": "\(error)"])
        }
        let dayAgo = now.addingTimeInterval(-86_400)
        var seen = Set<String>()
        for job in config.jobs {
            guard let destination = config.destination(named: job.destination), seen.insert("\(job.destination)\u{0}\(job.prefix)").inserted else { continue }
            do {
                let store = try dependencies.stores.store(for: destination)
                for upload in try store.openUploads(prefix: job.prefix.isEmpty ? "" : job.prefix + "/") where upload.initiated < dayAgo {
                    logger.warning("aborting a stale multipart upload", metadata: ["destination": "\(destination.name)", "s3.key": "\(upload.key)", "s3.upload_id": "\(upload.uploadID)", "initiated": "\(upload.initiated)"])
                    try store.abortUpload(key: upload.key, uploadID: upload.uploadID)
                }
            } catch {
                logger.warning("cannot list stale multipart uploads", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Helpers

    private func scheduledJobs(_ config: BackupConfig) throws -> [ScheduledJob] {
        let enabled = config.jobs.filter(\.enabled)
        let last = try history.lastRuns(jobs: enabled.map(\.name))
        return enabled.map { job in
            let record = last[job.name]
            let lastRun = record.map { max($0.scheduledAt ?? $0.startedAt, $0.startedAt) }
            return ScheduledJob(name: job.name, schedule: job.cronSchedule, catchUp: job.catchUp, lastRun: lastRun)
        }
    }

    private static func schedulerConfiguration(_ config: BackupConfig) -> SchedulerStateMachine.Configuration {
        SchedulerStateMachine.Configuration(maxConcurrentJobs: config.maxConcurrentJobs)
    }

    private func logSchedule(_ config: BackupConfig) {
        let now = dependencies.clock.now()
        for job in config.jobs {
            if job.enabled, let next = job.cronSchedule.next(after: now) {
                logger.info("job scheduled", metadata: ["job": "\(job.name)", "schedule": "\(job.schedule.text)", "next": "\(job.timeZone.iso8601(next))"])
            } else {
                logger.info("job disabled", metadata: ["job": "\(job.name)"])
            }
        }
    }

    private func statusLine() -> String {
        let (config, running) = state.withLock { ($0.config, Array($0.running.keys).sorted()) }
        let now = dependencies.clock.now()
        let next = config.jobs.filter(\.enabled).compactMap { job in job.cronSchedule.next(after: now).map { (job, $0) } }.min { $0.1 < $1.1 }
        var parts: [String] = []
        if !running.isEmpty { parts.append("running: \(running.joined(separator: ", "))") }
        if let (job, date) = next { parts.append("next: \(job.name) at \(job.timeZone.iso8601(date))") } else { parts.append("no scheduled jobs") }
        return parts.joined(separator: "; ")
    }

    private func notify(_ body: (SystemdNotifier) throws -> Void) {
        do {
            try body(dependencies.notifier)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }

    private func watchdogLoop() async {
        guard let interval = dependencies.notifier.watchdogInterval else { return }
        while !Task.isCancelled {
            // Ping only when the scheduler's queue answers, so a wedged scheduler gets restarted.
            _ = scheduler.withLock { $0 }?.inspect { $0.nextWake }
            notify { try $0.watchdog() }
            try? await Task.sleep(for: interval / 2)
        }
    }
}
