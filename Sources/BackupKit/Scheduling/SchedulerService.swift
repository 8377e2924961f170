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
/// Clock steps are measured, not guessed: every reading of the wall clock is compared with the
/// clock's steady (boot-time) reading, so a step of either direction is told from time passing or
/// a suspend, logged once at notice level with its size, and handed to the state machine
/// (`clockStepped(by:now:)`: wildcard schedules resume at once after a step back, slots jumped over
/// by a step forward are recorded as skipped). The clock-change descriptor wakes the service the
/// moment the clock is set.
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
    private var lastReading: (wall: Date, steady: TimeInterval)?

    /// Smallest wall-clock jump counted as a step. NTP's frequency and slew adjustments move
    /// `CLOCK_REALTIME` and `CLOCK_BOOTTIME` alike, so the two differ only by steps; a leap second
    /// (exactly 1 s) is not counted.
    static let stepTolerance: TimeInterval = 1

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
        queue.async { self.perform(self.machine.runNow(job: name, now: self.readClock())) }
    }

    /// Asks for a run of job `name` now and returns once the scheduler decided (the decision's
    /// actions went to `onAction` first), so a caller can match the answer to its request.
    /// Do not call from `onAction`.
    public func requestRun(job name: String) {
        dispatchPrecondition(condition: .notOnQueue(queue))
        queue.sync { perform(machine.runNow(job: name, now: readClock())) }
    }

    /// Replaces the jobs (configuration reload); see `SchedulerStateMachine.replaceJobs`.
    public func replaceJobs(_ jobs: [ScheduledJob], configuration: SchedulerStateMachine.Configuration? = nil) {
        queue.async {
            self.perform(self.machine.replaceJobs(jobs, configuration: configuration, now: self.readClock()))
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
        let now = readClock()
        logger.trace("scheduler woke", metadata: ["scheduler.reason": "\(reason)", "scheduler.now": "\(now)"])
        perform(machine.tick(now: now))
    }

    /// Reads the wall clock (on `queue`); when it moved by a step since the last reading, logs the
    /// step once and lets the state machine act on it before the caller's own decision.
    private func readClock() -> Date {
        let before = clock.steadySeconds()
        let now = clock.now()
        // Preempted between the readings: measure at the next one rather than mistake the delay for a step.
        guard let before, let after = clock.steadySeconds(), after - before < 0.1 else { return now }
        let steady = (before + after) / 2
        defer { lastReading = (now, steady) }
        guard let last = lastReading else { return now }
        let step = now.timeIntervalSince(last.wall) - (steady - last.steady)
        guard abs(step) > Self.stepTolerance else { return now }
        let size = DurationText.format(.seconds(Int64(abs(step).rounded())))
        logger.notice(step < 0 ? "system clock stepped back" : "system clock stepped forward", metadata: [
            "clock.step": "\(step < 0 ? "-" : "+")\(size)",
            "clock.step_seconds": "\(String(format: "%.3f", step))",
            "clock.now": "\(now.formatted(.iso8601))",
            "scheduler.rule": "\(step < 0 ? Self.backRule(step) : Self.forwardRule)",
        ])
        perform(machine.clockStepped(by: step, now: now))
        return now
    }

    private static func backRule(_ step: TimeInterval) -> String {
        step < -SchedulerStateMachine.maxClockStepBack
            ? "more than 3h: every schedule restarts from the new time"
            : "wildcard schedules resume at the new time; fixed-time slots already run are not repeated"
    }

    private static let forwardRule = "slots jumped over are recorded as skipped; catchUp decides the first"

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
