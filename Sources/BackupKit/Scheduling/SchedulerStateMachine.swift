import Foundation

/// The scheduler's decisions as a pure state machine: given the jobs and the time, which runs
/// start, which are skipped or queued, and when to wake next. No clock, no timer, no I/O.
///
/// Rules:
/// - A job never runs twice at once: a slot that comes while it runs (or while its run is queued)
///   is skipped with a reason.
/// - At most `maxConcurrentJobs` runs at once; the rest queue in due order.
/// - A slot reached late by more than `missedRunGrace` (downtime, suspend, clock stepped forward)
///   is missed: it runs once as `catch-up` (policy `once`) or is skipped (`none`), and the job
///   continues with its first slot after now, never once per missed slot.
/// - A job with no history starts on its next slot; with history, a slot missed since its last
///   run is caught up at start.
/// - A slot fires at most once, even when the clock steps back, unless it steps back by more than
///   `maxClockStepBack` (3 hours, Debian cron's rule): then every job restarts from the new time
///   rather than waiting hours for the clock to catch up.
/// - A clock step the driver measured (`clockStepped(by:now:)`, see its file): after a step back,
///   wildcard schedules resume at the new time at once while fixed-time ones keep the at-most-once
///   rule; after a step forward, every slot jumped over is skipped with the step as its reason.
///
/// Cost: the next due slot of every job sits in a min-heap, so a tick with k due jobs costs
/// O(k log n) and calls each due job's schedule once; idle jobs cost nothing.
public struct SchedulerStateMachine: Sendable {
    /// Tunables of the scheduler.
    public struct Configuration: Sendable, Hashable {
        /// How many runs may execute at once across all jobs (at least 1).
        public var maxConcurrentJobs: Int
        /// How late a slot may be noticed and still count as on time rather than missed.
        public var missedRunGrace: TimeInterval

        /// Creates a configuration; `maxConcurrentJobs` below 1 is treated as 1.
        public init(maxConcurrentJobs: Int = 2, missedRunGrace: TimeInterval = 60) {
            self.maxConcurrentJobs = Swift.max(1, maxConcurrentJobs)
            self.missedRunGrace = Swift.max(0, missedRunGrace)
        }
    }

    struct JobState: Sendable {
        var job: ScheduledJob
        /// The slot the job waits for (also its heap entry), nil when the schedule has ended.
        var nextDue: Date?
        /// The last slot handled (started, queued or skipped), so that no slot fires twice.
        var lastSlot: Date?
    }

    /// A backward clock step larger than this restarts every schedule from the new time.
    public static let maxClockStepBack: TimeInterval = 3 * 3600

    /// The scheduler's tunables.
    public private(set) var configuration: Configuration
    var lastTick: Date?
    var jobs: [JobState] = []
    private var indexByName: [String: Int] = [:]
    var heap = DueHeap()
    private var running: Set<String> = []
    private var queue = RunQueue()
    private var queuedJobs: Set<String> = []

    /// Creates the state for `jobs` at time `now`; call `tick(now:)` right after to get the first
    /// actions (catch-up runs and the first timer). Job names must be unique.
    public init(jobs: [ScheduledJob], configuration: Configuration = Configuration(), now: Date) {
        self.configuration = configuration
        install(jobs, previous: [:], now: now)
    }

    /// The wall-clock time of the next due slot, nil when nothing is scheduled.
    public var nextWake: Date? { heap.min?.due }

    /// The jobs whose run is executing now.
    public var runningJobs: Set<String> { running }

    /// The runs waiting for a free slot, oldest first.
    public var queuedRuns: [ScheduledRun] { Array(queue.runs) }

    /// The names of the configured jobs, in configuration order.
    public var jobNames: [String] { jobs.map(\.job.name) }

    /// The slot job `name` waits for, nil when it has none or is unknown.
    public func nextDue(job name: String) -> Date? {
        indexByName[name].flatMap { jobs[$0].nextDue }
    }

    /// Handles every slot due at `now` and ends with the timer to arm (or disarm).
    public mutating func tick(now: Date) -> [SchedulerAction] {
        if let lastTick, lastTick.timeIntervalSince(now) > Self.maxClockStepBack {
            rebase(now: now)
        }
        lastTick = now
        var actions: [SchedulerAction] = []
        while let top = heap.min, top.due <= now {
            _ = heap.popMin()
            let index = top.job
            let slot = top.due
            jobs[index].lastSlot = slot
            let name = jobs[index].job.name
            let late = now.timeIntervalSince(slot) > configuration.missedRunGrace
            switch (late, jobs[index].job.catchUp) {
            case (false, _):
                offer(ScheduledRun(job: name, trigger: .schedule, scheduledFor: slot), into: &actions)
            case (true, .once):
                offer(ScheduledRun(job: name, trigger: .catchUp, scheduledFor: slot), into: &actions)
            case (true, .none):
                actions.append(.skip(ScheduledRun(job: name, trigger: .schedule, scheduledFor: slot), reason: .missed))
            }
            scheduleNext(index, now: now)
        }
        actions.append(nextWake.map { .armTimer(at: $0) } ?? .disarmTimer)
        return actions
    }

    /// Records that job `name`'s run ended; returns the queued runs that may start now.
    public mutating func runFinished(job name: String) -> [SchedulerAction] {
        guard running.remove(name) != nil else { return [] }
        var actions: [SchedulerAction] = []
        startQueued(into: &actions)
        return actions
    }

    /// A user asked to run job `name` now: starts, queues or skips it under the same rules as a slot.
    public mutating func runNow(job name: String, now: Date) -> [SchedulerAction] {
        let run = ScheduledRun(job: name, trigger: .runNow, scheduledFor: now)
        guard indexByName[name] != nil else { return [.skip(run, reason: .unknownJob)] }
        var actions: [SchedulerAction] = []
        offer(run, into: &actions)
        return actions
    }

    /// Replaces the job set (configuration reload). Jobs keeping their name keep their running or
    /// queued run and never refire a slot already handled; new jobs start as at daemon start;
    /// queued runs of removed jobs are skipped. Ends with the timer to arm.
    public mutating func replaceJobs(
        _ newJobs: [ScheduledJob], configuration newConfiguration: Configuration? = nil, now: Date
    ) -> [SchedulerAction] {
        if let newConfiguration { configuration = newConfiguration }
        var previous: [String: Date?] = [:]
        for state in jobs { previous[state.job.name] = state.lastSlot }
        install(newJobs, previous: previous, now: now)

        var actions: [SchedulerAction] = []
        let removed = queue.removeAll { indexByName[$0.job] == nil }
        for run in removed {
            queuedJobs.remove(run.job)
            actions.append(.skip(run, reason: .jobRemoved))
        }
        startQueued(into: &actions)
        actions.append(contentsOf: tick(now: now))
        return actions
    }

    private mutating func install(_ newJobs: [ScheduledJob], previous: [String: Date?], now: Date) {
        jobs = []
        indexByName = [:]
        jobs.reserveCapacity(newJobs.count)
        var entries: [DueHeap.Entry] = []
        entries.reserveCapacity(newJobs.count)
        for job in newJobs {
            precondition(indexByName[job.name] == nil, "duplicate job name \(job.name) given to the scheduler")
            let index = jobs.count
            indexByName[job.name] = index
            var state = JobState(job: job, nextDue: nil, lastSlot: nil)
            if let known = previous[job.name] {
                state.lastSlot = known
                state.nextDue = Self.slot(of: job.schedule, after: Swift.max(now, known ?? now), now: now)
            } else if let lastRun = job.lastRun, lastRun <= now {
                // Catch-up: the first slot after the last recorded run may already have passed.
                // A last run in the future (clock stepped back since) is ignored rather than
                // letting it postpone the job until the clock gets there.
                state.lastSlot = lastRun
                state.nextDue = job.schedule.next(after: lastRun)
            } else {
                state.nextDue = Self.slot(of: job.schedule, after: now, now: now)
            }
            if let due = state.nextDue { entries.append(DueHeap.Entry(due: due, job: index)) }
            jobs.append(state)
        }
        heap = DueHeap(entries)
    }

    /// After a large backward clock step: forget slots "handled in the future" and take each
    /// job's first slot after the new time.
    mutating func rebase(now: Date) {
        var entries: [DueHeap.Entry] = []
        for index in jobs.indices {
            if let lastSlot = jobs[index].lastSlot, lastSlot > now { jobs[index].lastSlot = nil }
            jobs[index].nextDue = Self.slot(of: jobs[index].job.schedule, after: now, now: now)
            if let due = jobs[index].nextDue { entries.append(DueHeap.Entry(due: due, job: index)) }
        }
        heap = DueHeap(entries)
    }

    mutating func scheduleNext(_ index: Int, now: Date) {
        let after = Swift.max(now, jobs[index].lastSlot ?? now)
        let next = Self.slot(of: jobs[index].job.schedule, after: after, now: now)
        jobs[index].nextDue = next
        if let next { heap.insert(DueHeap.Entry(due: next, job: index)) }
    }

    /// The schedule's next slot, with a guard: a schedule answering a time not after `now`
    /// would make `tick` loop forever, so such an answer ends the schedule instead.
    static func slot(of schedule: any JobSchedule, after date: Date, now: Date) -> Date? {
        guard let next = schedule.next(after: date), next > now, next > date else { return nil }
        return next
    }

    mutating func offer(_ run: ScheduledRun, into actions: inout [SchedulerAction]) {
        if running.contains(run.job) {
            actions.append(.skip(run, reason: .stillRunning))
        } else if queuedJobs.contains(run.job) {
            actions.append(.skip(run, reason: .alreadyQueued))
        } else if running.count < configuration.maxConcurrentJobs {
            running.insert(run.job)
            actions.append(.start(run))
        } else {
            queue.append(run)
            queuedJobs.insert(run.job)
            actions.append(.queued(run))
        }
    }

    private mutating func startQueued(into actions: inout [SchedulerAction]) {
        while running.count < configuration.maxConcurrentJobs, let run = queue.popFirst() {
            queuedJobs.remove(run.job)
            running.insert(run.job)
            actions.append(.start(run))
        }
    }
}
