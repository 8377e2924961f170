import Foundation
import Logging
import Synchronization
import Testing
@testable import BackupKit

/// An executor that reports an upload id, then blocks until released or cancelled.
final class BlockingExecutor: BackupExecutor {
    private let released = DispatchSemaphore(value: 0)
    let calls = Mutex<[String]>([])

    func release() { released.signal() }

    /// Waits (without blocking a cooperative thread) until `count` runs have started.
    func waitForStart(count: Int = 1) async -> Bool {
        for _ in 0..<200 {
            if calls.withLock({ $0.count }) >= count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date, cancellation: RunCancellation,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) -> RunOutcome {
        calls.withLock { $0.append(job.name) }
        progress(RunProgress(uploadID: "upload-\(job.name)", destination: job.destination, bucket: "b", objectKey: "k/\(job.name)"))
        let wake = released
        cancellation.onCancel { wake.signal() }
        wake.wait()
        if let reason = cancellation.reason {
            return RunOutcome(status: .interrupted, endedAt: Date(), error: reason, uploadClosed: true)
        }
        return RunOutcome(status: .succeeded, endedAt: Date(), bytesRead: 10, bytesStored: 5, objectKey: "k/\(job.name)", sha256: "00")
    }
}

/// A daemon in a temporary state directory with a config file that can be rewritten.
struct DaemonFixture {
    let directory: TemporaryDirectory
    let configPath: String

    init(grace: String = "1s", jobs: [String] = ["nightly"]) throws {
        directory = try TemporaryDirectory()
        configPath = directory.path + "/config.json"
        try write(grace: grace, jobs: jobs)
    }

    func write(grace: String = "1s", jobs: [String], schedule: String = "0 0 1 1 *") throws {
        let jobList = jobs.map { name in
            """
            {"name": "\(name)", "engine": "command", "schedule": "\(schedule)", "destination": "local", "prefix": "p/\(name)",
             "connection": {"argv": ["true"], "extension": ".bin"}}
            """
        }.joined(separator: ",")
        let text = """
            {"stateDirectory": "\(directory.path)/state", "shutdownGracePeriod": "\(grace)",
             "destinations": [{"name": "local", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "backups",
                               "accessKeyId": "AK", "secretAccessKey": "SK"}],
             "jobs": [\(jobList)]}
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func makeDaemon(executor: any BackupExecutor, stores: MemoryObjectStore) throws -> Daemon {
        let (config, _) = try BackupConfig.load(path: configPath)
        let dependencies = Daemon.Dependencies(
            clock: SystemWallClock(), notifier: SystemdNotifier(environment: [:]), executor: executor, stores: stores, sources: .live)
        return try Daemon(configPath: configPath, config: config, dependencies: dependencies, logger: Logger(label: "test"))
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory.path + "/state") }
}

@Suite("Daemon")
struct DaemonTests {
    /// At start, a run a crash left `running` becomes `interrupted` and its upload is aborted; an
    /// unknown upload under a job prefix older than a day is aborted, a recent one left alone.
    @Test func startRecoversInterruptedRunsAndStaleUploads() throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let crashed = try history.insertRunning(
            job: "nightly", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", objectKey: nil)
        try history.updateProgress(runID: crashed, RunProgress(uploadID: "crashed-upload", objectKey: "p/nightly/x.zst"))
        let stores = MemoryObjectStore()
        let day: TimeInterval = 86_400
        for upload in [
            OpenUpload(key: "p/nightly/x.zst", uploadID: "crashed-upload", initiated: Date().addingTimeInterval(-60)),
            OpenUpload(key: "p/nightly/old.zst", uploadID: "stale", initiated: Date().addingTimeInterval(-2 * day)),
            OpenUpload(key: "p/nightly/new.zst", uploadID: "recent", initiated: Date().addingTimeInterval(-60)),
            OpenUpload(key: "elsewhere/old.zst", uploadID: "foreign", initiated: Date().addingTimeInterval(-2 * day)),
        ] {
            stores.addOpenUpload(upload)
        }
        let daemon = try fixture.makeDaemon(executor: BlockingExecutor(), stores: stores)
        try daemon.start()
        let record = try #require(try history.run(id: crashed))
        #expect(record.status == .interrupted)
        #expect(record.error?.contains("backupd stopped during this run") == true)
        #expect(stores.abortedKeys.sorted() == ["p/nightly/old.zst", "p/nightly/x.zst"])
        #expect(try stores.openUploads(prefix: "").map(\.uploadID).sorted() == ["foreign", "recent"])
        #expect(try history.uploadsToAbort().isEmpty)
    }

    /// SIGHUP with an invalid file keeps the old config; with a valid one applies it.
    @Test func reloadKeepsOldConfigWhenInvalidAndAppliesValidOne() async throws {
        let fixture = try DaemonFixture(jobs: ["nightly"])
        defer { fixture.directory.remove() }
        let daemon = try fixture.makeDaemon(executor: BlockingExecutor(), stores: MemoryObjectStore())
        try daemon.start()
        try "{\"jobs\": [".write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        daemon.reload()
        #expect(daemon.config.jobs.map(\.name) == ["nightly"])
        try fixture.write(jobs: ["nightly", "hourly"])
        daemon.reload()
        #expect(daemon.config.jobs.map(\.name) == ["nightly", "hourly"])
        await daemon.shutdown()
    }

    /// A reload during a run does not disturb it: the run finishes and is recorded as succeeded.
    @Test func reloadDuringRunKeepsTheRun() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let daemon = try fixture.makeDaemon(executor: executor, stores: MemoryObjectStore())
        try daemon.start()
        daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        try fixture.write(jobs: ["nightly", "other"])
        daemon.reload()
        #expect(daemon.runningJobs == ["nightly"])
        executor.release()
        await daemon.shutdown()
        let runs = try fixture.history().runs(HistoryQuery(job: "nightly"))
        #expect(runs.map(\.status) == [.succeeded])
        #expect(runs.first?.trigger == .runNow)
    }

    /// Stopping waits for a running backup up to the grace period, then cancels it; the run is
    /// recorded as interrupted with the reason.
    @Test func shutdownCancelsRunsAfterGracePeriod() async throws {
        let fixture = try DaemonFixture(grace: "1s")
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let daemon = try fixture.makeDaemon(executor: executor, stores: MemoryObjectStore())
        try daemon.start()
        daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        await daemon.shutdown()
        let run = try #require(try fixture.history().runs(HistoryQuery(job: "nightly")).first)
        #expect(run.status == .interrupted)
        #expect(run.error?.contains("grace period of 1s ran out") == true)
        #expect(daemon.runningJobs.isEmpty)
    }

    /// A run-now of a job that is already running is skipped and recorded as skipped.
    @Test func overlappingRunIsSkippedAndRecorded() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let daemon = try fixture.makeDaemon(executor: executor, stores: MemoryObjectStore())
        try daemon.start()
        daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        daemon.runNow(job: "nightly")
        let history = try fixture.history()
        var skipped: [RunRecord] = []
        for _ in 0..<100 where skipped.isEmpty {
            skipped = try history.runs(HistoryQuery(job: "nightly", status: .skipped))
            if skipped.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(skipped.count == 1)
        executor.release()
        await daemon.shutdown()
        #expect(executor.calls.withLock { $0 } == ["nightly"])
    }
}
