import Dispatch
import Foundation
import Logging

/// The live scheduler: drives a `SchedulerStateMachine` from one Dispatch timer armed with a
/// wall-clock deadline for the next due slot, re-reading the clock after every wake.
///
/// Idle cost is one timer (plus one clock-change descriptor), whatever the number of jobs; a
/// forward clock step or a resume from suspend fires the timer at once, and the state machine
/// turns late slots into catch-up runs or skips.
///
/// All state lives on a private serial queue. `onAction` receives `start`, `skip` and `queued`
/// actions on that queue and must return quickly (hand the run to a task or thread); report the
/// end of every started run with `runFinished(job:)`.
public final class SchedulerService: @unchecked Sendable {
    private let queue = DispatchQueue(label: "backupd.scheduler")
    private let clock: any WallClock
    private let logger: Logger
    private let onAction: @Sendable (SchedulerAction) -> Void

    // Confined to `queue`.
    private var machine: SchedulerStateMachine
    private var timer: (any DispatchSourceTimer)?
    private var clockWatcher: ClockChangeWatcher?
    private var stopped = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates a stopped service for `jobs`; `start()` or `run()` begins scheduling.
    public init(
        jobs: [ScheduledJob],
        configuration: SchedulerStateMachine.Configuration = .init(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger,
        onAction: @escaping @Sendable (SchedulerAction) -> Void
    ) {
        self.clock = clock
        self.logger = logger
        self.onAction = onAction
        machine = SchedulerStateMachine(jobs: jobs, configuration: configuration, now: clock.now())
    }

    /// Starts the timer and handles what is due now (catch-up runs). Idempotent.
    public func start() {
        queue.async { self.startOnQueue() }
    }

    /// Stops the timer; runs already started are not affected. `run()` returns after this.
    public func stop() {
        queue.async {
            self.stopped = true
            self.timer?.cancel()
            self.timer = nil
            self.clockWatcher?.cancel()
            self.clockWatcher = nil
            let waiters = self.waiters
            self.waiters = []
            for waiter in waiters { waiter.resume() }
            self.logger.debug("scheduler stopped")
        }
    }

    /// Starts the service and suspends until the task is cancelled or `stop()` is called
    /// (the shape of a swift-service-lifecycle `Service.run()`).
    public func run() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                queue.async {
                    if self.stopped {
                        continuation.resume()
                    } else {
                        self.waiters.append(continuation)
                        self.startOnQueue()
                    }
                }
            }
        } onCancel: {
            self.stop()
        }
    }

    /// Reports that the run of job `name` ended (whatever its outcome); queued runs may start.
    public func runFinished(job name: String) {
        queue.async { self.perform(self.machine.runFinished(job: name)) }
    }

    /// Asks for a run of job `name` now, under the overlap and concurrency rules.
    public func runNow(job name: String) {
        queue.async { self.perform(self.machine.runNow(job: name, now: self.clock.now())) }
    }

    /// Asks for a run of job `name` now and returns once the scheduler decided (the decision's
    /// actions went to `onAction` first), so a caller can match the answer to its request.
    /// Do not call from `onAction`.
    public func requestRun(job name: String) {
        dispatchPrecondition(condition: .notOnQueue(queue))
        queue.sync { perform(machine.runNow(job: name, now: clock.now())) }
    }

    /// Replaces the jobs (configuration reload); see `SchedulerStateMachine.replaceJobs`.
    public func replaceJobs(_ jobs: [ScheduledJob], configuration: SchedulerStateMachine.Configuration? = nil) {
        queue.async {
            self.perform(self.machine.replaceJobs(jobs, configuration: configuration, now: self.clock.now()))
        }
    }

    /// Reads the scheduler's state (next wake, running and queued runs). Do not call from `onAction`.
    public func inspect<T: Sendable>(_ body: @Sendable (SchedulerStateMachine) -> T) -> T {
        dispatchPrecondition(condition: .notOnQueue(queue))
        return queue.sync { body(machine) }
    }

    private func startOnQueue() {
        guard timer == nil else { return }
        stopped = false
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in self?.wake(reason: "timer") }
        timer.resume()
        self.timer = timer
        clockWatcher = ClockChangeWatcher(queue: queue, logger: logger) { [weak self] in
            self?.wake(reason: "clock-changed")
        }
        logger.debug("scheduler started", metadata: ["scheduler.jobs": "\(machine.jobNames.count)"])
        wake(reason: "start")
    }

    private func wake(reason: String) {
        guard timer != nil else { return }
        let now = clock.now()
        logger.trace("scheduler woke", metadata: ["scheduler.reason": "\(reason)", "scheduler.now": "\(now)"])
        perform(machine.tick(now: now))
    }

    private func perform(_ actions: [SchedulerAction]) {
        for action in actions {
            switch action {
            case .armTimer(let date):
                timer?.schedule(wallDeadline: Self.wallTime(date), repeating: .never, leeway: .milliseconds(10))
                logger.trace("scheduler armed", metadata: ["scheduler.next_wake": "\(date)"])
            case .disarmTimer:
                timer?.schedule(wallDeadline: .distantFuture, repeating: .never)
                logger.debug("scheduler idle: no job has a next run")
            case .start, .skip, .queued:
                onAction(action)
            }
        }
    }

    /// Converts a date to a Dispatch wall-clock deadline (`CLOCK_REALTIME`).
    static func wallTime(_ date: Date) -> DispatchWallTime {
        let seconds = date.timeIntervalSince1970
        guard seconds > 0 else { return .now() }
        guard seconds < Double(Int32.max) * 4 else { return .distantFuture }
        let whole = seconds.rounded(.down)
        let nanoseconds = Int(((seconds - whole) * 1_000_000_000).rounded(.up))
        var spec = timespec()
        spec.tv_sec = Int(whole)
        spec.tv_nsec = min(nanoseconds, 999_999_999)
        return DispatchWallTime(timespec: spec)
    }
}
