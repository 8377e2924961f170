import BackupTestSupport
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

@Suite("Fan-out run recording", .ownThreads)
struct FanOutRunRecordingTests {
    /// Runs job1 of `config` through a `RunRecorder` on `stores` (by destination name).
    func record(
        _ config: BackupConfig, stores: [String: any BackupObjectStore], history: HistoryStore, tmp: TemporaryDirectory
    ) async throws -> (Int64, RunOutcome) {
        let clock = FixedClock(time: pipelineStart)
        let runner = BackupRunner(
            stores: NamedStores(stores: stores), launcher: PosixProcessLauncher(), clock: clock,
            environment: testEnvironment, secretsParent: tmp.path, host: "testhost", makeToken: { testToken })
        return try await RunRecorder(history: history, executor: runner, clock: clock).perform(
            ScheduledRun(job: "job1", trigger: .runNow, scheduledFor: pipelineStart), job: config.jobs[0], config: config, logger: Logger(label: "t"))
    }

    /// Each destination's row names its upload while the run is going on (the store reads it back
    /// as soon as the upload started) and, at the end, carries that destination's result with no
    /// upload left open; a run that fails before any result (its tool is missing) closes the rows as failed.
    @Test(arguments: [false, true])
    func destinationRowsFollowTheRun(toolMissing: Bool) async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path + "/state")
        var config = try BackupRunnerFanOutTests().fanOutConfig(counter: tmp.path + "/c", bytes: 3_000_000)
        if toolMissing, case .command(var command) = config.jobs[0].connection {
            command.argv = ["/nonexistent/dump-tool"]
            config.jobs[0].connection = .command(command)
        }
        let local = MemoryObjectStore(partSize: 1 << 20)
        let archive = MemoryObjectStore(partSize: 1 << 20, failAfter: 1 << 20)
        let seen = SeenUploads()
        let observed = HookedStore(inner: local) { _ in
            if let rows = try? history.runningRuns().first.flatMap({ try history.destinationUploads(runIDs: [$0.id])[$0.id] }) { seen.add(rows) }
        }
        let (runID, outcome) = try await record(config, stores: ["local": observed, "archive": archive], history: history, tmp: tmp)
        let rows = try #require(try history.destinationUploads(runIDs: [runID])[runID])
        #expect(rows.map(\.destination) == ["local", "archive"])
        #expect(rows.allSatisfy { $0.uploadID == nil }, "\(rows)")
        if toolMissing {
            #expect(outcome.status == .failed)
            #expect(rows.map(\.status) == [.failed, .failed])
            #expect(try history.destinationResults(runIDs: [runID])[runID]?.allSatisfy { $0.error?.contains("dump-tool") == true } == true)
        } else {
            #expect(outcome.status == .partial)
            #expect(rows.map(\.status) == [.succeeded, .failed])
            #expect(seen.rows.contains { $0.destination == "local" && $0.uploadID != nil && $0.status == .running }, "\(seen.rows)")
        }
        #expect(try history.openDestinationUploads().isEmpty && history.runningRuns().isEmpty)
    }

    /// A destination that drops out is recorded failed at once, while the other still uploads
    /// (its upload waits here until it sees the row), so a crash before the run ends keeps that
    /// destination's failure rather than calling it interrupted.
    @Test func droppedDestinationIsRecordedFailedAtOnce() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path + "/state")
        let config = try BackupRunnerFanOutTests().fanOutConfig(counter: tmp.path + "/c", bytes: 3_000_000)
        let local = MemoryObjectStore(partSize: 1 << 20)
        // Fails on its first 4 KiB part: within what the tee lets it read ahead of the waiting local.
        let archive = MemoryObjectStore(partSize: 4 << 10, failAfter: 1)
        let seen = SeenUploads()
        let waiting = HookedStore(inner: local) { _ in
            for _ in 0..<500 {
                if let run = try? history.runningRuns().first, let rows = try? history.destinationUploads(runIDs: [run.id])[run.id],
                    rows.contains(where: { $0.destination == "archive" && $0.status == .failed })
                {
                    seen.add(rows)
                    return
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        let (runID, outcome) = try await record(config, stores: ["local": waiting, "archive": archive], history: history, tmp: tmp)
        let during = seen.rows.first { $0.destination == "archive" }
        #expect(during?.status == .failed && during?.error?.contains("failed") == true, "\(seen.rows)")
        #expect(seen.rows.first { $0.destination == "local" }?.status == .running)
        #expect(outcome.status == .partial)
        #expect(try history.destinationUploads(runIDs: [runID])[runID]?.map(\.status) == [.succeeded, .failed])
    }
}

/// Destination rows observed during a run.
final class SeenUploads: Sendable {
    private let all = Mutex<[DestinationUpload]>([])
    func add(_ rows: [DestinationUpload]) { all.withLock { $0 += rows } }
    var rows: [DestinationUpload] { all.withLock { $0 } }
}
