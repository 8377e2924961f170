import Dispatch
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

/// Collects what a service reports, stamped with the real time of the report.
private final class Recorder: Sendable {
    let stream: AsyncStream<(action: SchedulerAction, at: Date)>
    private let continuation: AsyncStream<(action: SchedulerAction, at: Date)>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream() }

    func record(_ action: SchedulerAction) { continuation.yield((action, Date())) }

    /// Records every decision `service` publishes (and calls `then` with it) until the stream ends.
    func follow(_ service: SchedulerService, then: @escaping @Sendable (SchedulerAction) -> Void = { _ in }) -> Task<Void, Never> {
        Task {
            for await action in service.actions {
                self.record(action)
                then(action)
            }
        }
    }

    /// The next `count` reports, or fewer if `timeout` passes first.
    func next(_ count: Int, timeout: Duration = .seconds(20)) async -> [(action: SchedulerAction, at: Date)] {
        let stream = self.stream
        return await withTaskGroup(of: [(action: SchedulerAction, at: Date)]?.self) { group in
            group.addTask {
                var got: [(action: SchedulerAction, at: Date)] = []
                for await item in stream {
                    got.append(item)
                    if got.count == count { break }
                }
                return got
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first ?? []
        }
    }
}

@Suite("Scheduler service (real sleeps)", .ownThreads)
struct SchedulerServiceTests {
    /// Real sleeps: runs due 1.5 s and 4.5 s from now fire after their due time and within one second of it
    /// (3 s apart, so a first wake delayed by a loaded machine cannot see both slots at once).
    @Test func firesWithinOneSecondOfDueTime() async throws {
        let start = Date()
        let dues = [start + 1.5, start + 4.5]
        let recorder = Recorder()
        let service = SchedulerService(jobs: [ScheduledJob(name: "db", schedule: At(dates: dues))], logger: Logger(label: "test"))
        let following = recorder.follow(service) { action in
            if case .start(let run) = action { service.runFinished(job: run.job) }
        }
        let running = Task { await service.run() }
        let reports = await recorder.next(2)
        service.stop()
        await running.value
        await following.value
        try #require(reports.count == 2, "the timer fired \(reports.count) of 2 times within 20 s")
        for (report, due) in zip(reports, dues) {
            #expect(report.action == .start(ScheduledRun(job: "db", trigger: .schedule, scheduledFor: due)))
            let lateness = report.at.timeIntervalSince(due)
            #expect(lateness >= 0, "fired \(-lateness) s early")
            #expect(lateness < 1, "fired \(lateness) s late")
            print("scheduler service: fired \(Int(lateness * 1000)) ms after due")
        }
        #expect(service.inspect { $0.nextWake } == nil)
    }

    /// run-now, overlap and the queue go through the service without any slot coming due.
    @Test func runNowThroughService() async throws {
        let recorder = Recorder()
        let far = Every(86_400 * 365)
        let service = SchedulerService(
            jobs: [ScheduledJob(name: "a", schedule: far), ScheduledJob(name: "b", schedule: far)],
            configuration: .init(maxConcurrentJobs: 1), logger: Logger(label: "test"))
        let following = recorder.follow(service)
        let running = Task { await service.run() }
        service.runNow(job: "a")
        service.runNow(job: "a")
        service.runNow(job: "b")
        service.runFinished(job: "a")
        let reports = await recorder.next(4).map(\.action)
        service.stop()
        await running.value
        following.cancel()
        try #require(reports.count == 4)
        guard case .start(let a) = reports[0], case .skip(_, .stillRunning) = reports[1],
            case .queued(let queued) = reports[2], case .start(let b) = reports[3]
        else {
            Issue.record("unexpected actions \(reports)")
            return
        }
        #expect(a.job == "a" && a.trigger == .runNow)
        #expect(queued.job == "b" && b == queued)
    }

    /// `run()` suspends until its task is cancelled, then stops sleeping and returns.
    @Test func runReturnsOnCancellation() async {
        let service = SchedulerService(jobs: [ScheduledJob(name: "a", schedule: Every(60))], logger: Logger(label: "test"))
        let task = Task { await service.run() }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(service.inspect { $0.nextWake } != nil)
        task.cancel()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await task.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        #expect(finished, "run() did not return within 10 s of cancellation")
    }
}
