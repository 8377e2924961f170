import Foundation
import Logging
import Synchronization

/// The daemon's runs: takes the scheduler's decisions, starts runs as child tasks of the
/// scheduling service (through `starts`), and tells run-now clients what became of their request.
/// The only state shared between the services, behind one lock.
final class RunCoordinator: Sendable {
    /// A client waiting for a run.
    struct Waiter {
        var reply: ControlReply
        var wait: Bool
    }

    struct ActiveRun {
        var cancellation: RunCancellation
        var followUp = RunCancellation()  // stops the after-backup prune when the daemon begins to stop
        var trigger: RunTrigger
        var scheduledFor: Date
        var runID: Int64?
        var startedAt: Date?
        var waiters: [Waiter] = []
    }

    struct State {
        var config: BackupConfig
        var running: [String: ActiveRun] = [:]
        /// run-now clients whose run has not started (queued or being decided).
        var pending: [String: [Waiter]] = [:]
        var stopping = false
        var stopReason = "backupd was stopped"
        var scheduler: SchedulerService?
        /// Set while the daemon does not own its state: every run is refused with this reason.
        var refusal: String?
        /// The lock on the state directory a refused reload named, held until a restart moves there.
        var reservation: StateLock?
    }

    let configPath: String
    let dependencies: Daemon.Dependencies
    let logger: Logger
    let history: HistoryStore
    /// What follows each run, made once for the daemon's history.
    let observers: [any RunObserver]
    let state: Mutex<State>
    /// Runs to start, consumed by the scheduling service, which runs each as a child task.
    let starts: AsyncStream<ScheduledRun>
    private let startContinuation: AsyncStream<ScheduledRun>.Continuation
    /// Serialises run-now requests, so that the scheduler's answer is matched to its request.
    private let submissions = Mutex<Void>(())

    init(configPath: String, config: BackupConfig, dependencies: Daemon.Dependencies, history: HistoryStore, logger: Logger) {
        self.configPath = configPath
        self.dependencies = dependencies
        self.history = history
        self.logger = logger
        observers = dependencies.observers(history)
        state = Mutex(State(config: config))
        (starts, startContinuation) = AsyncStream.makeStream(of: ScheduledRun.self)
    }

    var config: BackupConfig { state.withLock { $0.config } }
    var runningJobs: [String] { state.withLock { Array($0.running.keys).sorted() } }
    var scheduler: SchedulerService? { state.withLock { $0.scheduler } }

    func attach(_ scheduler: SchedulerService) {
        state.withLock { $0.scheduler = scheduler }
    }

    // MARK: - The scheduler's decisions (on its queue; must return quickly)

    func handle(_ action: SchedulerAction) {
        switch action {
        case .start(let run):
            start(run)
        case .skip(let run, let reason):
            skipped(run, reason: reason)
        case .queued(let run):
            logger.info("run queued: maxConcurrentJobs reached", metadata: ["job.name": "\(run.job)"])
            let waiters = state.withLock { $0.pending[run.job] ?? [] }
            let limit = state.withLock { $0.config.maxConcurrentJobs }
            for waiter in waiters {
                waiter.reply.send(ControlEvent(.queued, message: "queued: \(limit) backups already run at once (maxConcurrentJobs); the run starts when one ends"))
            }
        case .armTimer, .disarmTimer:
            break
        }
    }

    private func start(_ run: ScheduledRun) {
        if let refusal { return refuse(run, reason: refusal) }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, state.config.job(named: run.job) != nil else { return false }
            state.running[run.job] = ActiveRun(
                cancellation: RunCancellation(), trigger: run.trigger, scheduledFor: run.scheduledFor,
                waiters: state.pending.removeValue(forKey: run.job) ?? [])
            startContinuation.yield(run)
            return true
        }
        guard accepted else {
            let waiters = state.withLock { $0.pending.removeValue(forKey: run.job) ?? [] }
            for waiter in waiters { waiter.reply.finish(ControlEvent(.error, message: "backupd is stopping; the run was not started")) }
            scheduler?.runFinished(job: run.job)
            return
        }
        notifyStatus()
    }

    private func skipped(_ run: ScheduledRun, reason: SkipReason) {
        logger.warning("run skipped", metadata: ["job.name": "\(run.job)", "run.reason": "\(reason.description)", "run.scheduled_for": "\(run.scheduledFor)"])
        // A refused run-now request is answered to its client, not recorded: it was never a run.
        guard run.trigger == .runNow else { return recordSkipped(run, reason: reason.description) }
        // Requests are serialised (`submissions`): the newest waiter of the job made this request.
        state.withLock { state in
            guard var waiters = state.pending[run.job], let waiter = waiters.popLast() else { return }
            state.pending[run.job] = waiters.isEmpty ? nil : waiters
            switch reason {
            case .stillRunning:
                guard var active = state.running[run.job] else {
                    waiter.reply.finish(ControlEvent(.refused, message: "job \(run.job) is already running; no second run was started"))
                    return
                }
                let since = active.startedAt.map { " since \(ISO8601DateFormatter().string(from: $0))" } ?? ""
                let name = active.runID.map { "run \($0)" } ?? "a run"
                if waiter.wait {
                    waiter.reply.send(ControlEvent(.attached, run: active.runID, message: "job \(run.job) is already running (\(name)\(since), trigger \(active.trigger.rawValue)); waiting for its result"))
                    active.waiters.append(waiter)
                    state.running[run.job] = active
                } else {
                    waiter.reply.finish(ControlEvent(.refused, run: active.runID, message: "job \(run.job) is already running (\(name)\(since), trigger \(active.trigger.rawValue)); no second run was started (run-now --wait waits for its result)"))
                }
            case .alreadyQueued where waiter.wait:
                waiter.reply.send(ControlEvent(.queued, message: "a run of job \(run.job) is already queued (maxConcurrentJobs); waiting for it"))
                state.pending[run.job, default: []].insert(waiter, at: 0)
            case .unknownJob:
                waiter.reply.finish(ControlEvent(.error, message: "the daemon does not schedule job \(run.job): it is disabled or not in the config the daemon loaded (systemctl reload backupd reloads it)"))
            default:
                waiter.reply.finish(ControlEvent(.refused, message: "job \(run.job): \(reason.description)"))
            }
        }
    }

    // MARK: - run-now over the control socket

    /// Serves a run-now request: asks the scheduler (overlap and concurrency rules hold) and
    /// answers through `reply` as the run goes on.
    func submit(_ request: ControlRequest, reply: ControlReply) {
        let waiter = Waiter(reply: reply, wait: request.wait ?? false)
        let (job, stopping, scheduler) = state.withLock { ($0.config.job(named: request.job), $0.stopping, $0.scheduler) }
        guard let job else {
            let names = config.jobs.map(\.name).joined(separator: ", ")
            reply.finish(ControlEvent(.error, message: "no job named \"\(request.job)\" in the daemon's config \(configPath); jobs: \(names)"))
            return
        }
        guard !stopping, let scheduler else {
            reply.finish(ControlEvent(.error, message: "backupd is \(stopping ? "stopping" : "starting"); try again"))
            return
        }
        submissions.withLock { _ in
            state.withLock { $0.pending[job.name, default: []].append(waiter) }
            scheduler.requestRun(job: job.name)
        }
    }

    /// Starts a run of `job` now (tests, and what the control socket ends in).
    func runNow(job: String) {
        scheduler?.runNow(job: job)
    }

    // MARK: - Performing a run (a child task of the scheduling service)

    /// Performs a started run in this task; Task cancellation (shutdown after the grace period)
    /// cancels the run's token with the stop reason, which stops the run.
    func perform(_ run: ScheduledRun) async {
        let prepared: (JobConfig, BackupConfig, RunCancellation, RunCancellation)? = state.withLock { state in
            guard let active = state.running[run.job], let job = state.config.job(named: run.job) else { return nil }
            return (job, state.config, active.cancellation, active.followUp)
        }
        guard let (job, config, cancellation, followUp) = prepared else { return }
        let recorder = RunRecorder(history: history, executor: dependencies.executor, clock: dependencies.clock, observers: observers)
        await withTaskCancellationHandler {
            await execute(run, job: job, config: config, recorder: recorder, cancellation: cancellation, followUp: followUp)
        } onCancel: {
            cancellation.cancel(reason: state.withLock { $0.stopReason })
        }
        let waiters = state.withLock { $0.running.removeValue(forKey: run.job)?.waiters ?? [] }
        for waiter in waiters { waiter.reply.finish(ControlEvent(.error, message: "the run ended without a result; see backupd history \(run.job)")) }
        scheduler?.runFinished(job: run.job)
        notifyStatus()
    }

    private func execute(_ run: ScheduledRun, job: JobConfig, config: BackupConfig, recorder: RunRecorder, cancellation: RunCancellation, followUp: RunCancellation) async {
        let finish: (ControlEvent) -> Void = { event in
            let waiters = self.state.withLock { state -> [Waiter] in
                defer { state.running[run.job]?.waiters = [] }
                return state.running[run.job]?.waiters ?? []
            }
            for waiter in waiters { waiter.reply.finish(event) }
        }
        do {
            let (runID, outcome) = try await recorder.perform(
                run, job: job, config: config, cancellation: cancellation, followUp: followUp, logger: logger,
                onEvent: { [self] event in runEvent(job: run.job, event) })
            let startedAt = state.withLock { $0.running[run.job]?.startedAt } ?? outcome.endedAt
            finish(ControlEvent(.result, run: runID, result: RunSummary(job: job, config: config, runID: runID, outcome: outcome, startedAt: startedAt)))
        } catch RunRecordingError.notFinished(let name, let runID, let outcome, let reason) {
            let error = RunRecordingError.notFinished(job: name, runID: runID, outcome: outcome, reason: reason)
            logger.critical("\(error.description)", metadata: ["job.name": "\(run.job)", "run.id": "\(runID)", "run.status": "\(outcome.status.rawValue)", "s3.key": "\(outcome.objectKey ?? "")"])
            let startedAt = state.withLock { $0.running[run.job]?.startedAt } ?? outcome.endedAt
            finish(ControlEvent(.result, run: runID, message: error.description, result: RunSummary(job: job, config: config, runID: runID, outcome: outcome, startedAt: startedAt)))
        } catch {
            logger.error("\(error)", metadata: ["job.name": "\(run.job)", "run.scheduled_for": "\(run.scheduledFor)", "run.trigger": "\(run.trigger.rawValue)"])
            finish(ControlEvent(.error, message: "\(error)"))
        }
    }

    private func runEvent(job: String, _ event: RunEvent) {
        let waiters: [Waiter] = state.withLock { state in
            if case .started(let runID, let startedAt) = event {
                state.running[job]?.runID = runID
                state.running[job]?.startedAt = startedAt
            }
            return state.running[job]?.waiters ?? []
        }
        for waiter in waiters {
            switch event {
            case .started(let runID, _):
                waiter.reply.send(ControlEvent(.started, run: runID, message: "run \(runID) of job \(job) started in the daemon (pid \(getpid()))"))
            case .progress(let runID, let progress):
                if let key = progress.objectKey {
                    waiter.reply.send(ControlEvent(.progress, run: runID, message: "uploading s3://\(progress.bucket ?? "")/\(key)"))
                }
            }
        }
    }

    // MARK: - Stopping

    /// No new runs from now on; clients still waiting for a start are told; after-backup prunes stop
    /// now (a running backup may still finish within the grace period).
    func beginStopping() {
        let (pending, running, followUps) = state.withLock { state -> ([Waiter], [String], [RunCancellation]) in
            guard !state.stopping else { return ([], [], []) }
            state.stopping = true
            startContinuation.finish()
            defer { state.pending = [:] }
            return (state.pending.values.flatMap { $0 }, Array(state.running.keys).sorted(), state.running.values.map(\.followUp))
        }
        for followUp in followUps { followUp.cancel(reason: "backupd is stopping; retention runs again after the next backup") }
        for waiter in pending { waiter.reply.finish(ControlEvent(.error, message: "backupd is stopping; the run was not started")) }
        notify { try $0.stopping(status: running.isEmpty ? "stopping" : "stopping: waiting for \(running.joined(separator: ", "))") }
    }

    /// Waits up to `timeout` for every run to end; false when some still run.
    func waitForRuns(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.running.isEmpty }) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return state.withLock { $0.running.isEmpty }
    }

    /// The reason recorded for runs cancelled from now on.
    func setStopReason(_ reason: String) {
        state.withLock { $0.stopReason = reason }
    }

    // MARK: - Helpers

    func notify(_ body: (SystemdNotifier) throws -> Void) {
        do {
            try body(dependencies.notifier)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }

    func notifyStatus() {
        notify { try $0.status(statusLine()) }
    }

    func statusLine() -> String {
        let (config, running) = state.withLock { ($0.config, Array($0.running.keys).sorted()) }
        let now = dependencies.clock.now()
        let next = config.jobs.filter(\.enabled).compactMap { job in job.cronSchedule.next(after: now).map { (job, $0) } }.min { $0.1 < $1.1 }
        var parts = refusal.map { ["refusing runs: \($0)"] } ?? []
        if !running.isEmpty { parts.append("running: \(running.joined(separator: ", "))") }
        if let (job, date) = next { parts.append("next: \(job.name) at \(job.timeZone.iso8601(date))") } else { parts.append("no scheduled jobs") }
        return parts.joined(separator: "; ")
    }
}
