import BackupHistory
import BackupKit
import BackupTestSupport
import ConfigKit
import Foundation
import TestThreads
import Testing

private func job(_ name: String, every seconds: TimeInterval, catchUp: CatchUpPolicy = .once, lastRun: Date? = nil)
    -> ScheduledJob
{
    ScheduledJob(name: name, schedule: Every(seconds), catchUp: catchUp, lastRun: lastRun)
}

private func run(_ job: String, _ trigger: RunTrigger = .schedule, at date: Date) -> ScheduledRun {
    ScheduledRun(job: job, trigger: trigger, scheduledFor: date)
}

private func config(max: Int = 4, grace: TimeInterval = 60) -> SchedulerStateMachine.Configuration {
    .init(maxConcurrentJobs: max, missedRunGrace: grace)
}

@Suite("Scheduler state machine", .ownThreads)
struct SchedulerStateMachineTests {
    /// A job with no history waits for its next slot: nothing starts at daemon start.
    @Test func noHistoryStartsOnNextSlot() {
        let clock = ManualWallClock(t0 + 10)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 300)], configuration: config(), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 300)])
        clock.set(t0 + 299.9)
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 300)])
        clock.set(t0 + 300.2)
        #expect(machine.tick(now: clock.now()) == [.start(run("db", at: t0 + 300)), .armTimer(at: t0 + 600)])
    }

    /// Consecutive slots each start one run and re-arm the timer for the following slot.
    @Test func consecutiveSlotsStartAndRearm() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 60)], configuration: config(), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 60)])
        for k in 1...5 {
            clock.set(t0 + Double(k) * 60)
            let slot = t0 + Double(k) * 60
            #expect(machine.tick(now: clock.now()) == [.start(run("db", at: slot)), .armTimer(at: slot + 60)])
            #expect(machine.runFinished(job: "db") == [])
        }
    }

    /// A slot that comes while the previous run still runs is skipped (still-running), never doubled.
    @Test func overlapIsSkipped() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 60)], configuration: config(), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 60)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 60)))
        clock.set(t0 + 120)
        #expect(
            machine.tick(now: clock.now())
                == [.skip(run("db", at: t0 + 120), reason: .stillRunning), .armTimer(at: t0 + 180)])
        #expect(machine.runningJobs == ["db"])
        #expect(machine.runFinished(job: "db") == [])
        #expect(machine.runningJobs.isEmpty)
        clock.set(t0 + 180)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 180)))
    }

    /// maxConcurrentJobs bounds runs across jobs; the rest queue and start in due order as slots free.
    @Test func concurrencyLimitQueuesInDueOrder() {
        let clock = ManualWallClock(t0)
        let jobs = [
            ScheduledJob(name: "c", schedule: At(dates: [t0 + 30])),
            ScheduledJob(name: "a", schedule: At(dates: [t0 + 10])),
            ScheduledJob(name: "b", schedule: At(dates: [t0 + 20])),
            ScheduledJob(name: "d", schedule: At(dates: [t0 + 20])),
        ]
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(max: 1), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 10)])
        clock.set(t0 + 40)
        // Ties (b and d both at +20) keep configuration order.
        #expect(
            machine.tick(now: clock.now()) == [
                .start(run("a", at: t0 + 10)), .queued(run("b", at: t0 + 20)), .queued(run("d", at: t0 + 20)),
                .queued(run("c", at: t0 + 30)), .disarmTimer,
            ])
        #expect(machine.queuedRuns.map(\.job) == ["b", "d", "c"])
        #expect(machine.runFinished(job: "a") == [.start(run("b", at: t0 + 20))])
        #expect(machine.runFinished(job: "b") == [.start(run("d", at: t0 + 20))])
        #expect(machine.runFinished(job: "d") == [.start(run("c", at: t0 + 30))])
        #expect(machine.runFinished(job: "c") == [])
        #expect(machine.runFinished(job: "c") == [], "a second finish of the same run changes nothing")
    }

    /// Two free slots start two runs at once; the third waits.
    @Test func concurrencyLimitOfTwo() {
        let clock = ManualWallClock(t0)
        let jobs = ["a", "b", "c"].map { job($0, every: 60) }
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(max: 2), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 60)
        #expect(
            machine.tick(now: clock.now()) == [
                .start(run("a", at: t0 + 60)), .start(run("b", at: t0 + 60)), .queued(run("c", at: t0 + 60)),
                .armTimer(at: t0 + 120),
            ])
        #expect(machine.runningJobs == ["a", "b"])
    }

    /// A queued run whose job comes due again while still queued is skipped, not doubled.
    @Test func queuedRunIsNotDoubled() {
        let clock = ManualWallClock(t0)
        let jobs = [ScheduledJob(name: "long", schedule: At(dates: [t0 + 30])), job("x", every: 60)]
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(max: 1), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 30)
        #expect(machine.tick(now: clock.now()) == [.start(run("long", at: t0 + 30)), .armTimer(at: t0 + 60)])
        clock.set(t0 + 60)
        #expect(machine.tick(now: clock.now()) == [.queued(run("x", at: t0 + 60)), .armTimer(at: t0 + 120)])
        clock.set(t0 + 120)
        #expect(
            machine.tick(now: clock.now())
                == [.skip(run("x", at: t0 + 120), reason: .alreadyQueued), .armTimer(at: t0 + 180)])
        #expect(machine.queuedRuns == [run("x", at: t0 + 60)])
        #expect(machine.runFinished(job: "long") == [.start(run("x", at: t0 + 60))])
        #expect(machine.queuedRuns.isEmpty)
    }

    /// After downtime with many missed slots, a catch-up job runs exactly once at start, then on its next slot.
    @Test func catchUpOnceAfterDowntime() {
        let lastRun = t0 - 86_400  // a day down: 288 missed 5-minute slots
        let clock = ManualWallClock(t0 + 100)
        var machine = SchedulerStateMachine(
            jobs: [job("db", every: 300, lastRun: lastRun)], configuration: config(), now: clock.now())
        #expect(
            machine.tick(now: clock.now()) == [
                .start(run("db", .catchUp, at: lastRun + 300)), .armTimer(at: t0 + 300),
            ])
        #expect(machine.runFinished(job: "db") == [])
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 300)])
        clock.set(t0 + 300)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 300)))
    }

    /// With catchUp none, missed slots are recorded as one skip and the job waits for its next slot.
    @Test func catchUpNoneSkipsOnce() {
        let lastRun = t0 - 86_400
        let clock = ManualWallClock(t0 + 100)
        var machine = SchedulerStateMachine(
            jobs: [job("db", every: 300, catchUp: .none, lastRun: lastRun)], configuration: config(), now: clock.now())
        #expect(
            machine.tick(now: clock.now()) == [
                .skip(run("db", at: lastRun + 300), reason: .missed), .armTimer(at: t0 + 300),
            ])
        #expect(machine.runningJobs.isEmpty)
    }

    /// History decides catch-up: a last run within the current interval means nothing was missed.
    @Test(arguments: [
        // Slots every 5 minutes on t0 + 300k.
        (lastRunOffset: 0.0, now: 100.0, expectsCatchUp: false, startsNow: false),  // ran at t0; t0+300 not due
        (lastRunOffset: 10.0, now: 299.0, expectsCatchUp: false, startsNow: false),  // started late, still fine
        (lastRunOffset: -60.0, now: 100.0, expectsCatchUp: true, startsNow: true),  // slot t0 missed by 100 s
        (lastRunOffset: -60.0, now: 30.0, expectsCatchUp: false, startsNow: true),  // slot t0 30 s late: on time
        (lastRunOffset: -86_400.0, now: 100.0, expectsCatchUp: true, startsNow: true),  // a day down: once
        (lastRunOffset: 7200.0, now: 100.0, expectsCatchUp: false, startsNow: false),  // history from the future
    ])
    func catchUpDecisionFromHistory(lastRunOffset: Double, now: Double, expectsCatchUp: Bool, startsNow: Bool) {
        let clock = ManualWallClock(t0 + now)
        var machine = SchedulerStateMachine(
            jobs: [job("db", every: 300, lastRun: t0 + lastRunOffset)], configuration: config(), now: clock.now())
        let actions = machine.tick(now: clock.now())
        let catchUps = actions.filter {
            if case .start(let run) = $0 { run.trigger == .catchUp } else { false }
        }
        let starts = actions.filter { if case .start = $0 { true } else { false } }
        #expect(catchUps.count == (expectsCatchUp ? 1 : 0), "actions: \(actions)")
        #expect(starts.count == (startsNow ? 1 : 0), "actions: \(actions)")
        #expect(actions.last == .armTimer(at: t0 + 300))
    }

    /// A slot noticed late but within the grace (timer latency, brief stall) starts as a normal scheduled run.
    @Test func lateWithinGraceIsOnTime() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 300)], configuration: config(grace: 60), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 359)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 300)))
    }

    /// A forward clock step or suspend over many slots gives one catch-up run per job, never one per slot.
    @Test func forwardStepCatchesUpOnce() {
        let clock = ManualWallClock(t0)
        let jobs = [job("once", every: 60), job("none", every: 60, catchUp: .none)]
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.advance(by: 5 * 3600 + 30)  // suspended for five hours: 300 slots
        #expect(
            machine.tick(now: clock.now()) == [
                .start(run("once", .catchUp, at: t0 + 60)),
                .skip(run("none", at: t0 + 60), reason: .missed),
                .armTimer(at: t0 + 5 * 3600 + 60),
            ])
    }

    /// A small backward clock step never refires a slot already handled; the job waits for its next slot.
    @Test func smallBackwardStepDoesNotRefire() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 300)], configuration: config(), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 300)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 300)))
        _ = machine.runFinished(job: "db")
        clock.set(t0 + 100)  // NTP steps the clock back 200 s
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 600)])
        clock.set(t0 + 600)
        #expect(machine.tick(now: clock.now()).first == .start(run("db", at: t0 + 600)))
    }

    /// A backward step of more than three hours restarts schedules from the new time instead of stalling.
    @Test func largeBackwardStepRebases() {
        let future = t0 + 86_400 * 365  // clock was a year ahead at boot
        let clock = ManualWallClock(future)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 300)], configuration: config(), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: future + 300)])
        clock.set(t0 + 10)  // corrected
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 300)])
        #expect(machine.nextDue(job: "db") == t0 + 300)
    }

    /// An early wake (timer fired before the due time) starts nothing and re-arms the same deadline.
    @Test func earlyWakeRearms() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(jobs: [job("db", every: 60)], configuration: config(), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 59.999)
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 60)])
    }

    /// A schedule that ends disarms the timer; a broken schedule answering its input cannot loop the tick.
    @Test func endingAndBrokenSchedules() {
        let clock = ManualWallClock(t0)
        let jobs = [
            ScheduledJob(name: "once", schedule: At(dates: [t0 + 5])),
            ScheduledJob(name: "stuck", schedule: Stuck()),
        ]
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 5)])
        clock.set(t0 + 5)
        #expect(machine.tick(now: clock.now()) == [.start(run("once", at: t0 + 5)), .disarmTimer])
        #expect(machine.nextWake == nil)
    }

    /// run-now starts at once, is skipped while the job runs, queues when all slots are busy, and
    /// names an unknown job.
    @Test func runNow() {
        let clock = ManualWallClock(t0)
        var machine = SchedulerStateMachine(
            jobs: [job("a", every: 3600), job("b", every: 3600)], configuration: config(max: 1), now: clock.now())
        _ = machine.tick(now: clock.now())
        #expect(machine.runNow(job: "a", now: t0 + 1) == [.start(run("a", .runNow, at: t0 + 1))])
        #expect(machine.runNow(job: "a", now: t0 + 2) == [.skip(run("a", .runNow, at: t0 + 2), reason: .stillRunning)])
        #expect(machine.runNow(job: "b", now: t0 + 3) == [.queued(run("b", .runNow, at: t0 + 3))])
        #expect(machine.runNow(job: "zz", now: t0 + 4) == [.skip(run("zz", .runNow, at: t0 + 4), reason: .unknownJob)])
        #expect(machine.runFinished(job: "a") == [.start(run("b", .runNow, at: t0 + 3))])
    }

    /// A reload keeps running and queued runs of kept jobs, skips queued runs of removed jobs, adds
    /// new jobs on their next slot and never refires a handled slot.
    @Test func replaceJobs() {
        let clock = ManualWallClock(t0)
        let jobs = [job("a", every: 60), job("b", every: 60), job("c", every: 60)]
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(max: 1), now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.set(t0 + 60)
        #expect(
            machine.tick(now: clock.now()) == [
                .start(run("a", at: t0 + 60)), .queued(run("b", at: t0 + 60)), .queued(run("c", at: t0 + 60)),
                .armTimer(at: t0 + 120),
            ])
        clock.set(t0 + 61)
        let actions = machine.replaceJobs(
            [job("c", every: 60), job("new", every: 30)], configuration: config(max: 2), now: clock.now())
        // "a" left the config but still runs and holds a slot; the raised limit frees one for "c".
        #expect(
            actions == [
                .skip(run("b", at: t0 + 60), reason: .jobRemoved),
                .start(run("c", at: t0 + 60)),
                .armTimer(at: t0 + 90),
            ])
        #expect(machine.runningJobs == ["a", "c"])
        #expect(machine.runFinished(job: "a") == [])
        #expect(machine.runningJobs == ["c"])
        #expect(machine.nextDue(job: "c") == t0 + 120)
        #expect(machine.nextDue(job: "new") == t0 + 90)
        #expect(machine.jobNames == ["c", "new"])
    }

    /// The next due time of 10,000 jobs comes from a heap: a tick with one due job asks only that
    /// job's schedule, not every job's.
    @Test func tickCostIsIndependentOfIdleJobs() {
        let clock = ManualWallClock(t0)
        var schedules: [Counting] = []
        var jobs: [ScheduledJob] = []
        for i in 0..<10_000 {
            // Job i fires at t0 + 1 + i seconds, then hourly after that.
            let schedule = Counting(At(dates: [t0 + 1 + Double(i), t0 + 3601 + Double(i)]))
            schedules.append(schedule)
            jobs.append(ScheduledJob(name: "job-\(i)", schedule: schedule))
        }
        var machine = SchedulerStateMachine(jobs: jobs, configuration: config(max: 10_000), now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: t0 + 1)])
        let callsAfterStart = schedules.reduce(0) { $0 + $1.count }
        #expect(callsAfterStart == 10_000)
        clock.set(t0 + 1)
        #expect(machine.tick(now: clock.now()) == [.start(run("job-0", at: t0 + 1)), .armTimer(at: t0 + 2)])
        #expect(schedules.reduce(0) { $0 + $1.count } == callsAfterStart + 1)
        #expect(schedules[0].count == 2)
    }
}
