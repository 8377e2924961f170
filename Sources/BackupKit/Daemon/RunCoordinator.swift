import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import Synchronization

/// The daemon's runs: takes the scheduler's decisions, starts runs as child tasks of the
/// scheduling service (through `starts`), and tells run-now clients what became of their request.
/// It names what it needs: the config in force, the scheduler it reports to, what takes and
/// records a backup, what verifies one, and the status it keeps systemd told of.
final class RunCoordinator: Sendable {
    /// A client waiting for a run.
    struct Waiter {
        var reply: ControlReply
        var wait: Bool
    }

    struct ActiveRun {
        /// Why the run was stopped, set before its task is cancelled.
        var stop = StopReason()
        var trigger: RunTrigger
        var scheduledFor: Date
        var runID: Int64?
        var startedAt: Date?
        var waiters: [Waiter] = []
    }

    struct State {
        var running: [String: ActiveRun] = [:]
        /// Jobs whose scheduled verification runs now.
        var verifying: Set<String> = []
        /// run-now clients whose run has not started (queued or being decided).
        var pending: [String: [Waiter]] = [:]
        /// Set once the scheduling service runs: requests before it are answered "starting".
        var accepting = false
        var stopping = false
        var stopReason = "backupd was stopped"
    }

    let configs: ConfigStore
    let scheduler: SchedulerService
    let executor: any BackupExecutor
    let clock: any WallClock
    let history: HistoryStore
    /// What follows each run, made once for the daemon's history.
    let observers: [any RunObserver]
    /// Performs scheduled verifications (nil: none are scheduled).
    let verifier: ScheduledVerifier?
    /// Claims `runOn: "any"` slots before their runs.
    let claimer: SlotClaimer
    let status: DaemonStatus
    let logger: Logger
    let state = Mutex(State())
    /// Runs to start, consumed by the scheduling service, which runs each as a child task.
    let starts: AsyncStream<ScheduledRun>
    let startContinuation: AsyncStream<ScheduledRun>.Continuation
    /// Serialises run-now requests, so that the scheduler's answer is matched to its request.
    let submissions = Mutex<Void>(())

    init(
        configs: ConfigStore, scheduler: SchedulerService, executor: any BackupExecutor, clock: any WallClock, history: HistoryStore,
        observers: [any RunObserver], verifier: ScheduledVerifier?, status: DaemonStatus, logger: Logger, claimer: SlotClaimer = .live
    ) {
        self.claimer = claimer
        self.configs = configs
        self.scheduler = scheduler
        self.executor = executor
        self.clock = clock
        self.history = history
        self.observers = observers
        self.verifier = verifier
        self.status = status
        self.logger = logger
        (starts, startContinuation) = AsyncStream.makeStream(of: ScheduledRun.self)
    }

    var config: BackupConfig { configs.current }
    var runningJobs: [String] { state.withLock { Array($0.running.keys).sorted() } }
    var refusal: String? { status.refusal }

    /// From now on run-now requests are put to the scheduler (the scheduling service runs).
    func accept() {
        state.withLock { $0.accepting = true }
    }

    // MARK: - The scheduler's decisions (must return quickly)

    func handle(_ action: SchedulerAction) {
        switch action {
        case .start(let run) where isVerification(run):
            startVerification(run)
        case .skip(let run, let reason) where isVerification(run):
            logger.info("scheduled verification skipped", metadata: ["verify.item": "\(run.job)", "run.reason": "\(reason.description)"])
        case .queued(let run) where isVerification(run):
            logger.info("scheduled verification queued: maxConcurrentJobs reached", metadata: ["verify.item": "\(run.job)"])
        case .start(let run):
            start(run)
        case .skip(let run, let reason):
            skipped(run, reason: reason)
        case .queued(let run):
            logger.info("run queued: maxConcurrentJobs reached", metadata: ["job.name": "\(run.job)"])
            let waiters = state.withLock { $0.pending[run.job] ?? [] }
            let limit = config.maxConcurrentJobs
            for waiter in waiters {
                waiter.reply.send(ControlEvent(.queued, message: "queued: \(limit) backups already run at once (maxConcurrentJobs); the run starts when one ends"))
            }
        case .armTimer, .disarmTimer:
            break
        }
    }

    private func start(_ run: ScheduledRun) {
        if let refusal { return refuse(run, reason: refusal) }
        let known = config.job(named: run.job) != nil
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, known else { return false }
            state.running[run.job] = ActiveRun(
                trigger: run.trigger, scheduledFor: run.scheduledFor,
                waiters: state.pending.removeValue(forKey: run.job) ?? [])
            startContinuation.yield(run)
            return true
        }
        guard accepted else {
            let waiters = state.withLock { $0.pending.removeValue(forKey: run.job) ?? [] }
            for waiter in waiters { waiter.reply.finish(ControlEvent(.error, message: "backupd is stopping; the run was not started")) }
            scheduler.runFinished(job: run.job)
            return
        }
        notifyStatus()
    }

    // MARK: - Performing a run (a child task of the scheduling service)

    /// Performs a started run in this task; Task cancellation (shutdown after the grace period)
    /// stops it, with the run's `StopReason` saying why (set by `setStopReason` before the cancellation,
    /// else by the cancellation itself).
    func perform(_ run: ScheduledRun) async {
        let inForce = configs.current
        let prepared: (JobConfig, BackupConfig, StopReason)? = state.withLock { state in
            guard let active = state.running[run.job], let job = inForce.job(named: run.job) else { return nil }
            return (job, inForce, active.stop)
        }
        guard let (job, config, stop) = prepared else { return }
        await StopReason.$current.withValue(stop) {
            await withTaskCancellationHandler {
                guard let executor = await claimedExecutor(run, job: job, config: config) else { return }
                let recorder = RunRecorder(history: history, executor: executor, clock: clock, observers: observers)
                await execute(run, job: job, config: config, recorder: recorder)
            } onCancel: {
                stop.set(state.withLock { $0.stopReason })
            }
        }
        let waiters = state.withLock { $0.running.removeValue(forKey: run.job)?.waiters ?? [] }
        for waiter in waiters { waiter.reply.finish(ControlEvent(.error, message: "the run ended without a result; see backupd history \(run.job)")) }
        scheduler.runFinished(job: run.job)
        notifyStatus()
    }

    private func execute(_ run: ScheduledRun, job: JobConfig, config: BackupConfig, recorder: RunRecorder) async {
        let finish: (ControlEvent) -> Void = { event in
            let waiters = self.state.withLock { state -> [Waiter] in
                defer { state.running[run.job]?.waiters = [] }
                return state.running[run.job]?.waiters ?? []
            }
            for waiter in waiters { waiter.reply.finish(event) }
        }
        do {
            let (runID, outcome) = try await recorder.perform(
                run, job: job, config: config, logger: logger,
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

    /// No new runs from now on; clients still waiting for a start are told. (After-backup prunes and
    /// claim watches stop on the same graceful shutdown by themselves; a running backup may still
    /// finish within the grace period.)
    func beginStopping() {
        let (pending, running) = state.withLock { state -> ([Waiter], [String]) in
            guard !state.stopping else { return ([], []) }
            state.stopping = true
            startContinuation.finish()
            defer { state.pending = [:] }
            return (state.pending.values.flatMap { $0 }, Array(state.running.keys).sorted())
        }
        for waiter in pending { waiter.reply.finish(ControlEvent(.error, message: "backupd is stopping; the run was not started")) }
        notify { try $0.stopping(status: running.isEmpty ? "stopping" : "stopping: waiting for \(running.joined(separator: ", "))") }
    }

    /// Waits up to `timeout` for every run and verification to end; false when some still run.
    func waitForRuns(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.running.isEmpty && $0.verifying.isEmpty }) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return state.withLock { $0.running.isEmpty && $0.verifying.isEmpty }
    }

    /// The reason recorded for runs cancelled from now on: call it before cancelling them, so each
    /// running one has it before its cancellation is seen.
    func setStopReason(_ reason: String) {
        state.withLock { state in
            state.stopReason = reason
            for active in state.running.values { active.stop.set(reason) }
        }
    }

    // MARK: - Helpers

    func notify(_ body: (SystemdNotifier) throws -> Void) {
        status.notify(body)
    }

    func notifyStatus() {
        status.setRunning(runningJobs)
    }
}
