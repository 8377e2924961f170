import BackupTestSupport
import Cron
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// How far the tests let a manual clock run.
private final class Horizon: Sendable {
    let date: Mutex<Date>
    init(_ date: Date) { self.date = Mutex(date) }
}

/// A scheduler on a manual clock whose every sleep lets the asked time pass at once, up to a
/// horizon the test moves, and the decisions it publishes, read in order.
private struct ManualScheduler {
    let clock: ManualWallClock
    let service: SchedulerService
    let running: Task<Void, Never>
    private let horizon: Horizon
    private var decisions: AsyncStream<SchedulerAction>.AsyncIterator

    init(start: Date, jobs: [ScheduledJob], maxConcurrentJobs: Int, horizon: TimeInterval = 60) {
        let clock = ManualWallClock(start)
        let limit = Horizon(start + horizon)
        self.clock = clock
        self.horizon = limit
        let service = SchedulerService(
            jobs: jobs, configuration: .init(maxConcurrentJobs: maxConcurrentJobs), clock: clock, logger: Logger(label: "test"),
            sleep: { duration in
                let asked = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                let allowed = limit.date.withLock { $0 }.timeIntervalSince(clock.now())
                if allowed > 0 { clock.advance(by: min(asked, allowed)) }
                try await Task.sleep(for: .milliseconds(1))
            },
            watchClockChanges: false)
        self.service = service
        decisions = service.actions.makeAsyncIterator()
        running = Task { await service.run() }
    }

    /// The next `count` decisions (fewer when the scheduler stops first).
    mutating func next(_ count: Int) async -> [SchedulerAction] {
        var got: [SchedulerAction] = []
        while got.count < count, let action = await decisions.next() { got.append(action) }
        return got
    }

    /// Lets the clock run up to `date`.
    func letTimePass(until date: Date) {
        horizon.date.withLock { $0 = date }
    }

    func stop() async {
        service.stop()
        await running.value
    }
}

@Suite("Verification scheduled by the state machine", .ownThreads)
struct VerificationSchedulingTests {
    let t0 = Date(timeIntervalSince1970: 1_795_573_800)

    /// With maxConcurrentJobs 1, a verification due while a backup runs is queued (its next
    /// occurrence is skipped as already queued) and starts, for its slot, only when the backup ends.
    @Test func verificationWaitsForAFreeSlotUnderMaxConcurrentJobs() async {
        let verify = ScheduledWork.verification(job: "db").item
        var scheduler = ManualScheduler(
            start: t0,
            jobs: [
                ScheduledJob(name: "db", schedule: At(dates: [t0 + 10])),
                ScheduledJob(name: verify, schedule: At(dates: [t0 + 12, t0 + 20]), catchUp: .none),
            ],
            maxConcurrentJobs: 1)
        let first = await scheduler.next(3)
        #expect(first == [
            .start(ScheduledRun(job: "db", trigger: .schedule, scheduledFor: t0 + 10)),
            .queued(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 12)),
            .skip(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 20), reason: .alreadyQueued),
        ])
        #expect(scheduler.service.inspect { $0.runningJobs } == ["db"])
        scheduler.service.runFinished(job: "db")
        let then = await scheduler.next(1)
        #expect(then == [.start(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 12))])
        #expect(scheduler.service.inspect { $0.runningJobs } == [verify])
        await scheduler.stop()
    }

    /// A backup due while a verification holds the only slot waits for it the same way.
    @Test func backupWaitsForARunningVerification() async {
        let verify = ScheduledWork.verification(job: "db").item
        var scheduler = ManualScheduler(
            start: t0,
            jobs: [
                ScheduledJob(name: "db", schedule: At(dates: [t0 + 12])),
                ScheduledJob(name: verify, schedule: At(dates: [t0 + 10]), catchUp: .none),
            ],
            maxConcurrentJobs: 1)
        #expect(await scheduler.next(2) == [
            .start(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 10)),
            .queued(ScheduledRun(job: "db", trigger: .schedule, scheduledFor: t0 + 12)),
        ])
        scheduler.service.runFinished(job: verify)
        #expect(await scheduler.next(1) == [.start(ScheduledRun(job: "db", trigger: .schedule, scheduledFor: t0 + 12))])
        await scheduler.stop()
    }

    /// An occurrence of a verification that comes while the previous one still runs is skipped
    /// (the overlap rule), and the one after it runs once the first ended.
    @Test func overlappingVerificationIsSkipped() async {
        let verify = ScheduledWork.verification(job: "db").item
        var scheduler = ManualScheduler(
            start: t0, jobs: [ScheduledJob(name: verify, schedule: At(dates: [t0 + 5, t0 + 7, t0 + 90]), catchUp: .none)],
            maxConcurrentJobs: 2)
        #expect(await scheduler.next(2) == [
            .start(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 5)),
            .skip(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 7), reason: .stillRunning),
        ])
        scheduler.service.runFinished(job: verify)
        scheduler.letTimePass(until: t0 + 120)
        #expect(await scheduler.next(1) == [.start(ScheduledRun(job: verify, trigger: .schedule, scheduledFor: t0 + 90))])
        await scheduler.stop()
    }

    /// Items name their work: a job's own name is its backup, `verify:NAME` its verification; the
    /// config's verify schedules become items for enabled jobs only, never caught up.
    @Test func itemsNameTheirWork() throws {
        #expect(ScheduledWork(item: "db") == .backup(job: "db"))
        #expect(ScheduledWork(item: "verify:db") == .verification(job: "db"))
        #expect(ScheduledWork.verification(job: "db.main").item == "verify:db.main")
        var config = try shellJob("echo x")
        config.jobs[0].verify = VerifySettings(schedule: try CronExpression("*/5 * * * *"))
        let items = ScheduledWork.verificationItems(config)
        #expect(items.map(\.name) == ["verify:\(config.jobs[0].name)"])
        #expect(items.first?.catchUp == CatchUpPolicy.none)
        #expect(items.first?.schedule.next(after: t0) == t0 + 300)
        config.jobs[0].enabled = false
        #expect(ScheduledWork.verificationItems(config).isEmpty)
    }
}
