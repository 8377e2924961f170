import BackupHistory
import BackupKit
import BackupTestSupport
import Cron
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing

private func cron(_ text: String) -> CronSchedule {
    CronSchedule(try! CronExpression(text), in: .utc)
}

private func at(_ text: String) -> Date {
    ISO8601Instant.parse(text, defaultZone: .utc)!
}

private func run(_ job: String, _ slot: String, _ trigger: RunTrigger = .schedule) -> ScheduledRun {
    ScheduledRun(job: job, trigger: trigger, scheduledFor: at(slot))
}

private func stepSkip(_ job: String, _ slot: String, by step: TimeInterval) -> SchedulerAction {
    .skip(run(job, slot), reason: .clockSteppedForward(by: step, slot: slot.replacingOccurrences(of: "Z", with: "+00:00")))
}

/// Clock steps measured by the driver (`clockStepped(by:now:)`), with real cron schedules in UTC
/// and a manual clock: Debian cron's wildcard/fixed-time rules and the skipped rows of a step forward.
@Suite("Scheduler clock steps", .ownThreads)
struct ClockStepTests {
    /// Stepped back 1h, `* * * * *` runs again within a minute of the new time (not an hour later);
    /// a plain `tick` alone, which cannot tell a step from a slow clock, would wait the hour.
    @Test func stepBackResumesEveryMinuteJob() {
        let clock = ManualWallClock(at("2026-12-06T10:00:30Z"))
        let jobs = [ScheduledJob(name: "m", schedule: cron("* * * * *"))]
        var machine = SchedulerStateMachine(jobs: jobs, now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: at("2026-12-06T10:01:00Z"))])
        clock.advance(by: 30)
        #expect(machine.tick(now: clock.now()) == [.start(run("m", "2026-12-06T10:01:00Z")), .armTimer(at: at("2026-12-06T10:02:00Z"))])
        _ = machine.runFinished(job: "m")
        var unaware = machine

        clock.advance(by: 5)
        clock.step(by: -3600)
        #expect(unaware.tick(now: clock.now()) == [.armTimer(at: at("2026-12-06T10:02:00Z"))])
        #expect(machine.clockStepped(by: -3600, now: clock.now()) == [.armTimer(at: at("2026-12-06T09:02:00Z"))])
        clock.advance(by: 55)
        #expect(machine.tick(now: clock.now()) == [.start(run("m", "2026-12-06T09:02:00Z")), .armTimer(at: at("2026-12-06T09:03:00Z"))])
    }

    /// `*/5 * * * *` and `0 * * * *` (wildcard hour) resume at the new time too.
    @Test(arguments: [("*/5 * * * *", "2026-12-06T09:05:00Z"), ("0 * * * *", "2026-12-06T10:00:00Z")])
    func stepBackResumesWildcardJobs(expression: String, expected: String) {
        let clock = ManualWallClock(at("2026-12-06T10:00:00Z"))
        var machine = SchedulerStateMachine(jobs: [ScheduledJob(name: "w", schedule: cron(expression))], now: clock.now() - 1)
        #expect(machine.tick(now: clock.now()).first == .start(run("w", "2026-12-06T10:00:00Z")))
        _ = machine.runFinished(job: "w")
        clock.advance(by: 40)
        clock.step(by: -3600)
        #expect(machine.clockStepped(by: -3600, now: clock.now()) == [.armTimer(at: at(expected))])
    }

    /// Stepped back 1h after its 02:30 run, a fixed-time job does not run 02:30 again when the clock
    /// gets there a second time; its next run is the next day's, as before the step.
    @Test func stepBackKeepsFixedTimeJobAtMostOnce() {
        let clock = ManualWallClock(at("2026-12-06T02:29:59Z"))
        let jobs = [ScheduledJob(name: "f", schedule: cron("30 2 * * *")), ScheduledJob(name: "m", schedule: cron("* * * * *"))]
        var machine = SchedulerStateMachine(jobs: jobs, now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.advance(by: 1)
        #expect(machine.tick(now: clock.now()) == [
            .start(run("f", "2026-12-06T02:30:00Z")), .start(run("m", "2026-12-06T02:30:00Z")), .armTimer(at: at("2026-12-06T02:31:00Z")),
        ])
        _ = machine.runFinished(job: "f")
        _ = machine.runFinished(job: "m")
        clock.advance(by: 20)
        clock.step(by: -3600)
        #expect(machine.clockStepped(by: -3600, now: clock.now()) == [.armTimer(at: at("2026-12-06T01:31:00Z"))])
        #expect(machine.nextDue(job: "f") == at("2026-12-07T02:30:00Z"))
        var starts: [ScheduledRun] = []
        for _ in 0..<70 {
            clock.advance(by: 60)
            for case .start(let started) in machine.tick(now: clock.now()) {
                starts.append(started)
                _ = machine.runFinished(job: started.job)
            }
        }
        #expect(starts.count == 70)
        #expect(starts.allSatisfy { $0.job == "m" }, "the fixed-time job ran again: \(starts.filter { $0.job == "f" })")
    }

    /// Stepped back more than 3 hours, every job (fixed-time too) restarts from the new time.
    @Test func largeStepBackRestartsFixedTimeJobs() {
        let clock = ManualWallClock(at("2026-12-06T12:00:00Z"))
        var machine = SchedulerStateMachine(jobs: [ScheduledJob(name: "f", schedule: cron("30 11 * * *"))], now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: at("2026-12-07T11:30:00Z"))])
        clock.step(by: -4 * 3600)
        #expect(machine.clockStepped(by: -4 * 3600, now: clock.now()) == [.armTimer(at: at("2026-12-06T11:30:00Z"))])
    }

    /// Stepped forward 2h from 01:50: `*/15` catches up once for 02:00 and records 02:15 ... 03:45
    /// as skipped with the step as reason; a fixed-time job with catchUp none skips 02:00 with it.
    @Test func stepForwardRecordsEverySkippedSlot() {
        let clock = ManualWallClock(at("2026-12-06T01:50:00Z"))
        let jobs = [
            ScheduledJob(name: "q", schedule: cron("*/15 * * * *")),
            ScheduledJob(name: "f", schedule: cron("0 2 * * *"), catchUp: .none),
        ]
        var machine = SchedulerStateMachine(jobs: jobs, now: clock.now())
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: at("2026-12-06T02:00:00Z"))])
        clock.step(by: 2 * 3600)
        let step: TimeInterval = 2 * 3600
        let skipped = ["02:15", "02:30", "02:45", "03:00", "03:15", "03:30", "03:45"].map { stepSkip("q", "2026-12-06T\($0):00Z", by: step) }
        #expect(machine.clockStepped(by: step, now: clock.now()) == [.start(run("q", "2026-12-06T02:00:00Z", .catchUp))] + skipped + [
            stepSkip("f", "2026-12-06T02:00:00Z", by: step), .armTimer(at: at("2026-12-06T04:00:00Z")),
        ])
        #expect(SkipReason.clockSteppedForward(by: step, slot: "2026-12-06T02:15:00+00:00").description
            == "skipped: clock stepped forward 2h: slot 2026-12-06T02:15:00+00:00 was jumped over")
        // Nothing is handled twice: the next tick only re-arms.
        #expect(machine.tick(now: clock.now()) == [.armTimer(at: at("2026-12-06T04:00:00Z"))])
    }

    /// A step forward of 30 days over an every-minute job writes at most `maxSkippedRowsPerStep`
    /// rows; the last one says through when slots were jumped over.
    @Test func stepForwardRowsAreBounded() throws {
        let clock = ManualWallClock(at("2026-12-06T00:00:30Z"))
        var machine = SchedulerStateMachine(jobs: [ScheduledJob(name: "m", schedule: cron("* * * * *"))], now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.step(by: 30 * 86_400)
        let actions = machine.clockStepped(by: 30 * 86_400, now: clock.now())
        let skips = actions.compactMap { action -> SkipReason? in if case .skip(_, let reason) = action { reason } else { nil } }
        #expect(actions.first == .start(run("m", "2026-12-06T00:01:00Z", .catchUp)))
        #expect(skips.count == SchedulerStateMachine.maxSkippedRowsPerStep)
        let last = try #require(skips.last)
        #expect(last == .clockSteppedForward(by: 30 * 86_400, slot: "2026-12-06T16:41:00+00:00", through: "2027-01-05T00:00:30+00:00"))
        #expect(last.description.contains("clock stepped forward 30d: slot 2026-12-06T16:41:00+00:00 and every later slot through 2027-01-05T00:00:30+00:00"))
        #expect(actions.last == .armTimer(at: at("2027-01-05T00:01:00Z")))
    }

    /// A step forward shorter than the grace over one slot runs it on time, with no skipped row.
    @Test func smallStepForwardRunsOnTime() {
        let clock = ManualWallClock(at("2026-12-06T09:59:50Z"))
        var machine = SchedulerStateMachine(jobs: [ScheduledJob(name: "m", schedule: cron("* * * * *"))], now: clock.now())
        _ = machine.tick(now: clock.now())
        clock.step(by: 20)
        #expect(machine.clockStepped(by: 20, now: clock.now()) == [.start(run("m", "2026-12-06T10:00:00Z")), .armTimer(at: at("2026-12-06T10:01:00Z"))])
    }
}

extension CapturedLogs {
    /// The clock-step lines.
    func steps() -> [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
        entries.withLock { $0.filter { $0.message.hasPrefix("system clock stepped") } }
    }
}

@Suite("Scheduler service: clock steps measured", .ownThreads)
struct SchedulerServiceClockStepTests {
    /// The service measures steps against the steady clock: time passing is no step, a step of
    /// either direction is logged once at notice with its size, and a step back lets `* * * * *`
    /// resume within a minute of the new time. (The manual clock is a year ahead of the real one,
    /// and the service is not run: only the requests read the clock.)
    @Test func stepsAreMeasuredAndLoggedOnce() throws {
        let start = Date().addingTimeInterval(365 * 86_400).timeIntervalSince1970
        let clock = ManualWallClock(Date(timeIntervalSince1970: (start / 60).rounded(.down) * 60 + 10))
        let logs = CapturedLogs(label: "test.clock-step")
        let service = SchedulerService(
            jobs: [ScheduledJob(name: "m", schedule: cron("* * * * *")), ScheduledJob(name: "other", schedule: cron("0 0 1 1 *"))],
            clock: clock, logger: logs.logger)
        let minute = clock.now().addingTimeInterval(50)
        #expect(service.inspect { $0.nextDue(job: "m") } == minute)

        clock.advance(by: 20)  // time passes: no step
        service.requestRun(job: "other")
        #expect(logs.steps().isEmpty)

        clock.step(by: -3600)
        service.requestRun(job: "other")
        service.requestRun(job: "other")
        let back = logs.steps()
        try #require(back.count == 1, "logged \(back.count) times")
        #expect(back[0].level == .notice && back[0].message == "system clock stepped back")
        #expect(back[0].metadata["clock.step"] == "-1h")
        #expect(service.inspect { $0.nextDue(job: "m") } == minute.addingTimeInterval(-3600))

        clock.step(by: 7200)
        service.requestRun(job: "other")
        service.stop()
        let all = logs.steps()
        try #require(all.count == 2)
        #expect(all[1].message == "system clock stepped forward" && all[1].metadata["clock.step"] == "+2h")
    }
}
