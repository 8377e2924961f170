import BackupCore
import ConfigKit
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The live scheduler, a `Service`: drives a `SchedulerStateMachine`, sleeping on an injected
/// clock (`sleep`, reading the time from `clock`) until the next due slot, at most `maxSleep` at a
/// time, and reading the wall clock again after every wake.
///
/// Idle cost is one sleeping task (plus one clock-change descriptor), whatever the number of jobs.
/// A forward or backward clock step wakes it at once (the clock-change descriptor), and the state
/// machine turns late slots into catch-up runs or skips.
///
/// Clock steps are measured, not guessed: every reading of the wall clock is compared with the
/// clock's steady (boot-time) reading, so a step of either direction is told from time passing or
/// a suspend, logged once at notice level with its size, and handed to the state machine
/// (`clockStepped(by:now:)`: wildcard schedules resume at once after a step back, slots jumped over
/// by a step forward are recorded as skipped).
///
/// Decisions (`start`, `skip`, `queued`) go out on `actions` in the order the machine made them,
/// except a `requestRun`'s, which it returns to its caller. Report the end of every started run
/// with `runFinished(job:)`.
public final class SchedulerService: Service, Sendable {
    private struct State {
        var machine: SchedulerStateMachine
        var lastReading: (wall: Date, steady: TimeInterval)?
        var stopped = false
        var poked = false
        var sleeper: CheckedContinuation<Void, Never>?
    }

    /// The decisions to act on: `start`, `skip` and `queued`; ends when `run()` returns.
    public let actions: AsyncStream<SchedulerAction>
    private let output: AsyncStream<SchedulerAction>.Continuation
    private let state: Mutex<State>
    private let clock: any WallClock
    private let sleep: @Sendable (Duration) async throws -> Void
    private let watchesClockChanges: Bool
    private let logger: Logger

    /// Smallest wall-clock jump counted as a step. NTP's frequency and slew adjustments move
    /// `CLOCK_REALTIME` and `CLOCK_BOOTTIME` alike, so the two differ only by steps; a leap second
    /// (exactly 1 s) is not counted.
    static let stepTolerance: TimeInterval = 1

    /// The longest single sleep: the wall clock is read again at least this often (a resume from
    /// suspend is noticed within it even where the sleep does not count suspended time).
    public static let maxSleep: Duration = .seconds(60)

    /// A scheduler for `jobs` (not yet running: `run()` schedules). `sleep` waits on the clock
    /// (tests pass one that advances a `ManualWallClock`; it must throw or return on cancellation);
    /// `watchClockChanges` wakes it when the system's clock is set.
    public init(
        jobs: [ScheduledJob],
        configuration: SchedulerStateMachine.Configuration = .init(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        watchClockChanges: Bool = true
    ) {
        self.clock = clock
        self.logger = logger
        self.sleep = sleep
        watchesClockChanges = watchClockChanges
        state = Mutex(State(machine: SchedulerStateMachine(jobs: jobs, configuration: configuration, now: clock.now())))
        (actions, output) = AsyncStream.makeStream(of: SchedulerAction.self)
    }

    /// Schedules until the task is cancelled or `stop()` is called: handles what is due now
    /// (catch-up runs), then sleeps until the next due slot, a request or a clock change.
    public func run() async {
        let watcher = watchesClockChanges
            ? ClockChangeWatcher(queue: DispatchQueue(label: "backupd.clock-change"), logger: logger) { [weak self] in self?.poke() } : nil
        defer {
            watcher?.cancel()
            output.finish()
            logger.debug("scheduler stopped")
        }
        logger.debug("scheduler started", metadata: ["scheduler.jobs": "\(inspect { $0.jobNames.count })"])
        while !Task.isCancelled, !state.withLock({ $0.stopped }) {
            let wake = decide(publish: true) { machine, now in machine.tick(now: now) }.wake
            let wait = wake.map { Self.duration(until: $0, from: clock.now()) } ?? Self.maxSleep
            logger.trace("scheduler sleeps", metadata: ["scheduler.next_wake": "\(wake.map { "\($0)" } ?? "none")"])
            await sleepOrWake(min(wait, Self.maxSleep))
        }
    }

    /// Ends `run()`; runs already started are not affected.
    public func stop() {
        state.withLock { $0.stopped = true }
        poke()
    }

    /// Reports that the run of item `name` ended (whatever its outcome); queued runs may start.
    /// Slots due by now are handled first, while it still counts as running: they came while it ran.
    public func runFinished(job name: String) {
        decide(publish: true) { machine, now in machine.tick(now: now) + machine.runFinished(job: name) }
        poke()
    }

    /// Asks for a run of job `name` now, under the overlap and concurrency rules.
    public func runNow(job name: String) {
        decide(publish: true) { machine, now in machine.runNow(job: name, now: now) }
        poke()
    }

    /// Asks for a run of job `name` now and returns the decision (`start`, `skip` or `queued`)
    /// instead of publishing it, so a caller can match the answer to its request.
    @discardableResult
    public func requestRun(job name: String) -> [SchedulerAction] {
        defer { poke() }
        return decide(publish: false) { machine, now in machine.runNow(job: name, now: now) }.decisions
    }

    /// Replaces the jobs (configuration reload); see `SchedulerStateMachine.replaceJobs`.
    public func replaceJobs(_ jobs: [ScheduledJob], configuration: SchedulerStateMachine.Configuration? = nil) {
        decide(publish: true) { machine, now in machine.replaceJobs(jobs, configuration: configuration, now: now) }
        poke()
    }

    /// Reads the scheduler's state (next wake, running and queued runs).
    public func inspect<T: Sendable>(_ body: (SchedulerStateMachine) -> T) -> T {
        state.withLock { body($0.machine) }
    }

    /// Reads the clock, lets `body` decide, and publishes the decisions (or returns them); a
    /// clock step measured on the way is the machine's first decision.
    @discardableResult
    private func decide(
        publish: Bool, _ body: (inout SchedulerStateMachine, Date) -> [SchedulerAction]
    ) -> (decisions: [SchedulerAction], wake: Date?) {
        state.withLock { state in
            let now = readClock(&state)
            if now.step != 0 {
                for action in state.machine.clockStepped(by: now.step, now: now.date) { emit(action) }
            }
            var decisions: [SchedulerAction] = []
            for action in body(&state.machine, now.date) {
                switch action {
                case .start, .skip, .queued:
                    if publish { emit(action) } else { decisions.append(action) }
                case .armTimer, .disarmTimer:
                    break
                }
            }
            return (decisions, state.machine.nextWake)
        }
    }

    private func emit(_ action: SchedulerAction) {
        switch action {
        case .start, .skip, .queued: output.yield(action)
        case .armTimer, .disarmTimer: break
        }
    }

    /// Reads the wall clock; when it moved by a step since the last reading, logs the step once
    /// and returns its size (0 otherwise), for the machine to act on before the caller's decision.
    private func readClock(_ state: inout State) -> (date: Date, step: TimeInterval) {
        let before = clock.steadySeconds()
        let now = clock.now()
        // Preempted between the readings: measure at the next one rather than mistake the delay for a step.
        guard let before, let after = clock.steadySeconds(), after - before < 0.1 else { return (now, 0) }
        let steady = (before + after) / 2
        defer { state.lastReading = (now, steady) }
        guard let last = state.lastReading else { return (now, 0) }
        let step = now.timeIntervalSince(last.wall) - (steady - last.steady)
        guard abs(step) > Self.stepTolerance else { return (now, 0) }
        let size = DurationText.format(.seconds(Int64(abs(step).rounded())))
        logger.notice(step < 0 ? "system clock stepped back" : "system clock stepped forward", metadata: [
            "clock.step": "\(step < 0 ? "-" : "+")\(size)",
            "clock.step_seconds": "\(String(format: "%.3f", step))",
            "clock.now": "\(now.formatted(.iso8601))",
            "scheduler.rule": "\(step < 0 ? Self.backRule(step) : Self.forwardRule)",
        ])
        return (now, step)
    }

    private static func backRule(_ step: TimeInterval) -> String {
        step < -SchedulerStateMachine.maxClockStepBack
            ? "more than 3h: every schedule restarts from the new time"
            : "wildcard schedules resume at the new time; fixed-time slots already run are not repeated"
    }

    private static let forwardRule = "slots jumped over are recorded as skipped; catchUp decides the first"

    /// The time from `now` until `date`, rounded up to the millisecond (a wait truncated to 0 ms
    /// would spin until the clock passed the due time), at least 1 ms.
    static func duration(until date: Date, from now: Date) -> Duration {
        let seconds = date.timeIntervalSince(now)
        guard seconds < Double(Int32.max) else { return maxSleep }
        return .milliseconds(max(1, Int64((seconds * 1000).rounded(.up))))
    }

    // MARK: - Sleeping until the next slot or a wake-up

    private func sleepOrWake(_ wait: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [sleep] in try? await sleep(wait) }
            group.addTask { await self.nextPoke() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns at the next `poke()` (at once when one came since the last), or on cancellation.
    private func nextPoke() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.poked || state.stopped || Task.isCancelled {
                        state.poked = false
                        return true
                    }
                    state.sleeper = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.sleeper = nil }
                return state.sleeper
            }?.resume()
        }
    }

    /// Wakes the sleeping loop so that it reads the clock and decides again.
    private func poke() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let sleeper = state.sleeper else {
                state.poked = true
                return nil
            }
            state.sleeper = nil
            return sleeper
        }?.resume()
    }
}
