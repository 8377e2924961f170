import BackupTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// An executor that reports an upload id, then blocks until released or cancelled.
final class BlockingExecutor: BackupExecutor {
    private let releases = Mutex(0)
    let calls = Mutex<[String]>([])

    func release() { releases.withLock { $0 += 1 } }

    /// Waits (without blocking a cooperative thread) until `count` runs have started.
    func waitForStart(count: Int = 1) async -> Bool {
        for _ in 0..<200 {
            if calls.withLock({ $0.count }) >= count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        calls.withLock { $0.append(job.name) }
        progress(RunProgress(uploadID: "upload-\(job.name)", destination: job.destination, bucket: "b", objectKey: "k/\(job.name)"))
        // Waits for a release or the cancellation without holding a cooperative thread.
        while !Task.isCancelled {
            if releases.withLock({ count in count > 0 ? { count -= 1; return true }() : false }) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if Task.isCancelled {
            return RunOutcome(status: .interrupted, endedAt: Date(), error: StopReason.text, uploadClosed: true)
        }
        return RunOutcome(status: .succeeded, endedAt: Date(), bytesRead: 10, bytesStored: 5, objectKey: "k/\(job.name)", sha256: "00")
    }
}

/// A destination whose listing and HEAD never answer (until cancelled).
struct StallingStores: ObjectStoreProvider {
    let inner = MemoryObjectStore()

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { Stalling(inner: inner) }

    struct Stalling: BackupObjectStore {
        let inner: MemoryObjectStore
        func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
            try await inner.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
        }
        /// Never answers: ends only when the task is cancelled (as a request in flight does).
        func head(key: String) async throws -> StoredObject? { try await Task.sleep(for: .seconds(300)); return nil }
        func list(prefix: String) async throws -> [StoredObject] { try await inner.list(prefix: prefix) }
        func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws { try await inner.download(key: key, to: sink) }
        func delete(keys: [String]) async throws { try await inner.delete(keys: keys) }
        func abortUpload(key: String, uploadID: String) async throws { try await inner.abortUpload(key: key, uploadID: uploadID) }
        func openUploads(prefix: String) async throws -> [OpenUpload] { try await Task.sleep(for: .seconds(30)); return [] }
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

    func makeDaemon(executor: any BackupExecutor, stores: any ObjectStoreProvider, observers: [any RunObserver] = []) throws -> Daemon {
        let (config, _) = try BackupConfig.load(path: configPath)
        let dependencies = Daemon.Dependencies(
            clock: SystemWallClock(), notifier: SystemdNotifier(environment: [:]), executor: executor, stores: stores, sources: .live,
            observers: { _ in observers })
        return try Daemon(configPath: configPath, config: config, dependencies: dependencies, logger: Logger(label: "test"))
    }

    /// Starts the daemon's service group (without signals) and waits until it schedules.
    func start(executor: any BackupExecutor, stores: any ObjectStoreProvider, observers: [any RunObserver] = []) async throws -> RunningDaemon {
        let daemon = try makeDaemon(executor: executor, stores: stores, observers: observers)
        let group = await daemon.makeServiceGroup(gracefulShutdownSignals: [])
        let task = Task { try await group.run() }
        for _ in 0..<200 where !daemon.isScheduling { try await Task.sleep(for: .milliseconds(10)) }
        return RunningDaemon(daemon: daemon, group: group, task: task)
    }

    var stateDirectory: String { directory.path + "/state" }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: stateDirectory) }
}

/// A daemon's service group running in a task.
struct RunningDaemon {
    let daemon: Daemon
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// What SIGTERM does: a graceful stop, awaited.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// Polls `condition` every 20 ms for up to 10 s.
func eventually(_ condition: () throws -> Bool) async rethrows -> Bool {
    for _ in 0..<500 {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

@Suite("Daemon", .ownThreads)
struct DaemonTests {
    /// In the background after start, a run whose owner is gone becomes `interrupted` and its
    /// upload is aborted; an unknown upload under a job prefix older than a day is aborted, a
    /// recent one left alone.
    @Test func startRecoversInterruptedRunsAndStaleUploads() async throws {
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
        let running = try await fixture.start(executor: BlockingExecutor(), stores: stores)
        #expect(try await eventually { try stores.abortedKeys.count == 2 && history.uploadsToAbort().isEmpty })
        let record = try #require(try history.run(id: crashed))
        #expect(record.status == .interrupted)
        #expect(record.error?.contains("backupd stopped during this run") == true)
        #expect(stores.abortedKeys.sorted() == ["p/nightly/old.zst", "p/nightly/x.zst"])
        await #expect(try stores.openUploads(prefix: "").map(\.uploadID).sorted() == ["foreign", "recent"])
        try await running.stop()
    }

    /// Recovery never touches a run whose owner still lives (another process, here `sleep`);
    /// the run of an owner that exited is interrupted.
    @Test func recoveryLeavesLiveOwnersRunsAlone() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let live = try PosixProcessLauncher().launch(ProcessSpec(argv: ["/bin/sleep", "30"], environment: [:], captureOutput: false))
        defer {
            live.kill()
            _ = live.wait()
        }
        let dead = try PosixProcessLauncher().launch(ProcessSpec(argv: ["/bin/true"], environment: [:], captureOutput: false))
        let deadOwner = ProcessOwner(pid: dead.pid, startTime: ProcessOwner.startTime(of: dead.pid), bootID: ProcessOwner.currentBootID())
        _ = dead.wait()
        let liveOwner = ProcessOwner(pid: live.pid, startTime: ProcessOwner.startTime(of: live.pid), bootID: ProcessOwner.currentBootID())
        #expect(liveOwner.isAlive && !deadOwner.isAlive)
        let liveRun = try history.insertRunning(
            job: "nightly", trigger: .runNow, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", owner: liveOwner)
        try history.updateProgress(runID: liveRun, RunProgress(uploadID: "live-upload", objectKey: "p/nightly/live.zst"))
        let deadRun = try history.insertRunning(
            job: "nightly", trigger: .runNow, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", owner: deadOwner)
        let stores = MemoryObjectStore()
        stores.addOpenUpload(OpenUpload(key: "p/nightly/live.zst", uploadID: "live-upload", initiated: Date()))
        let running = try await fixture.start(executor: BlockingExecutor(), stores: stores)
        #expect(try await eventually { try history.run(id: deadRun)?.status == .interrupted })
        try await Task.sleep(for: .milliseconds(300))
        #expect(try history.run(id: liveRun)?.status == .running)
        await #expect(try stores.openUploads(prefix: "").map(\.uploadID) == ["live-upload"])
        try await running.stop()
    }

    /// A run whose object was complete but whose end was never recorded (a full state disk, a
    /// crash just after the upload) is recorded as succeeded at the next start, not aborted.
    @Test func recoveryReconcilesACompletedObject() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let stores = MemoryObjectStore()
        let key = "p/nightly/nightly-20261201T000000Z-0000abcd.bin"
        let receipt = try await stores.upload(
            key: key, from: BytesSource(Array(repeating: 7, count: 1000)), metadata: ["job": "nightly"], uploadStarted: { _ in })
        // A second run's object without a manifest: incomplete, so its run is interrupted, not reconciled.
        let unfinishedKey = "p/nightly/nightly-20261201T000100Z-0000beef.bin"
        let unfinished = try await stores.upload(
            key: unfinishedKey, from: BytesSource([1, 2, 3]), metadata: [:], uploadStarted: { _ in })
        _ = try await stores.createObject(key: "p/nightly/nightly-20261201T000000Z-0000abcd.manifest.json", body: Array("""
            {"formatVersion": 1, "backupId": "nightly-20261201T000000Z-0000abcd", "job": "nightly", "engine": "command", "host": "h",
             "startedAt": "2026-12-01T00:00:00Z", "endedAt": "2026-12-01T00:00:01Z", "tool": {"name": "true", "version": ""},
             "backupd": {"name": "backupd", "version": "test"}, "compression": "none", "destination": "local", "bucket": "b",
             "copies": [], "objects": [{"role": "dump", "key": "\(key)", "tool": "true", "size": 1000, "sha256": "\(receipt.sha256)",
             "partSize": 1000, "partCount": 1, "etag": ""}]}
            """.utf8), contentType: "application/json")
        let run = try history.insertRunning(
            job: "nightly", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", objectKey: nil)
        try history.updateProgress(runID: run, RunProgress(uploadID: receipt.uploadID, objectKey: key))
        let other = try history.insertRunning(
            job: "nightly", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", objectKey: nil)
        try history.updateProgress(runID: other, RunProgress(uploadID: unfinished.uploadID, objectKey: unfinishedKey))
        let running = try await fixture.start(executor: BlockingExecutor(), stores: stores)
        #expect(try await eventually { try history.run(id: run)?.status == .succeeded })
        let record = try #require(try history.run(id: run))
        #expect(record.sha256 == receipt.sha256 && record.bytesStored == 1000 && record.uploadID == nil)
        #expect(try await eventually { try history.run(id: other)?.status == .interrupted })
        #expect(stores.keys.contains(key))
        try await running.stop()
    }

    /// A destination that never answers holds up neither the scheduler (a run starts and
    /// succeeds) nor a graceful stop, which ends its clean-up instead of waiting for it.
    @Test func stalledCleanUpDelaysNeitherRunsNorStop() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let crashed = try history.insertRunning(
            job: "nightly", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "b", objectKey: nil)
        try history.updateProgress(runID: crashed, RunProgress(uploadID: "u", objectKey: "p/nightly/x.zst"))
        let stores = StallingStores()
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: stores)
        running.daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        executor.release()
        #expect(try await eventually { try history.runs(HistoryQuery(job: "nightly", status: .succeeded)).count == 1 })
        let stopping = ContinuousClock.now
        try await running.stop()
        // The stalled calls block for 300 s; a stop that waited for them would take that long. The
        // bound leaves room for a test process whose cooperative threads the suite keeps busy.
        #expect(ContinuousClock.now - stopping < .seconds(60))
        #expect(try history.run(id: crashed)?.status == .running, "its destination never answered, so the run waits for the next start")
    }

    /// SIGHUP with an invalid file keeps the old config; with a valid one applies it.
    @Test func reloadKeepsOldConfigWhenInvalidAndAppliesValidOne() async throws {
        let fixture = try DaemonFixture(jobs: ["nightly"])
        defer { fixture.directory.remove() }
        let running = try await fixture.start(executor: BlockingExecutor(), stores: MemoryObjectStore())
        let daemon = running.daemon
        try "{\"jobs\": [".write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        daemon.reload()
        #expect(daemon.config.jobs.map(\.name) == ["nightly"])
        try fixture.write(jobs: ["nightly", "hourly"])
        daemon.reload()
        #expect(daemon.config.jobs.map(\.name) == ["nightly", "hourly"])
        try await running.stop()
    }

    /// A reload during a run does not disturb it: the run finishes and is recorded as succeeded.
    @Test func reloadDuringRunKeepsTheRun() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: MemoryObjectStore())
        let daemon = running.daemon
        daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        try fixture.write(jobs: ["nightly", "other"])
        daemon.reload()
        #expect(daemon.runningJobs == ["nightly"])
        executor.release()
        try await running.stop()
        let runs = try fixture.history().runs(HistoryQuery(job: "nightly"))
        #expect(runs.map(\.status) == [.succeeded])
        #expect(runs.first?.trigger == .runNow)
    }

    /// A graceful stop waits for a running backup up to the grace period, then cancels it (Task
    /// cancellation down to the run); the run is recorded as interrupted with the reason.
    @Test func shutdownCancelsRunsAfterGracePeriod() async throws {
        let fixture = try DaemonFixture(grace: "1s")
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: MemoryObjectStore())
        running.daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        let started = ContinuousClock.now
        try await running.stop()
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        let run = try #require(try fixture.history().runs(HistoryQuery(job: "nightly")).first)
        #expect(run.status == .interrupted)
        #expect(run.error?.contains("grace period of 1s ran out") == true)
        #expect(running.daemon.runningJobs.isEmpty)
    }

    /// A run-now of a job that is already running is refused and not recorded: the history holds
    /// the one run that ran, no `skipped` row.
    @Test func overlappingRunNowIsRefusedAndNotRecorded() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: MemoryObjectStore())
        running.daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        running.daemon.runNow(job: "nightly")
        try await Task.sleep(for: .milliseconds(300))
        executor.release()
        try await running.stop()
        #expect(executor.calls.withLock { $0 } == ["nightly"])
        let runs = try fixture.history().runs(HistoryQuery(job: "nightly"))
        #expect(runs.count == 1 && runs.first?.status != .skipped, "\(runs)")
    }

    /// Over the control socket: run-now starts a run and streams started, progress and result;
    /// a second request while it runs is refused naming the run; with `wait` it gets that run's
    /// result; the job ran once.
    @Test func controlSocketRunNow() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: MemoryObjectStore())
        #expect(try await eventually { try ControlClient.connect(stateDirectory: fixture.stateDirectory) != nil })
        let first = try #require(try ControlClient.connect(stateDirectory: fixture.stateDirectory))
        try first.send(ControlRequest(runNow: "nightly", wait: false))
        let started = try await first.nextEvent()
        #expect(started.event == .started)
        let runID = try #require(started.run)
        #expect(try await first.nextEvent().event == .progress)

        let second = try #require(try ControlClient.connect(stateDirectory: fixture.stateDirectory))
        try second.send(ControlRequest(runNow: "nightly", wait: false))
        let refused = try await second.nextEvent()
        #expect(refused.event == .refused && refused.run == runID)
        #expect(refused.message?.contains("already running (run \(runID)") == true, "\(refused.message ?? "")")

        let waiting = try #require(try ControlClient.connect(stateDirectory: fixture.stateDirectory))
        try waiting.send(ControlRequest(runNow: "nightly", wait: true))
        #expect(try await waiting.nextEvent().event == .attached)

        let unknown = try #require(try ControlClient.connect(stateDirectory: fixture.stateDirectory))
        try unknown.send(ControlRequest(runNow: "nope", wait: false))
        let error = try await unknown.nextEvent()
        #expect(error.event == .error && error.message?.contains("no job named \"nope\"") == true)

        executor.release()
        for client in [first, waiting] {
            let result = try await client.nextEvent()
            #expect(result.event == .result && result.run == runID && result.result?.succeeded == true)
            #expect(result.result?.objectKey == "k/nightly")
        }
        try await running.stop()
        #expect(executor.calls.withLock { $0 } == ["nightly"])
        #expect(!FileManager.default.fileExists(atPath: ControlServer.path(stateDirectory: fixture.stateDirectory)))
    }

    /// The state lock: a second holder is refused, naming the first's pid and role; it is free
    /// again once released.
    @Test func stateLockIsExclusive() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var first: StateLock? = try StateLock.acquire(stateDirectory: directory.path + "/state", role: .runNow)
        #expect(first != nil)
        #expect(throws: StateLockError.held(
            path: directory.path + "/state/backupd.lock", holder: StateLock.Holder(pid: getpid(), role: .runNow))
        ) {
            _ = try StateLock.acquire(stateDirectory: directory.path + "/state", role: .daemon)
        }
        first = nil
        // A process that another test forks at this moment holds a copy of the descriptor until
        // it execs (flock belongs to the open file, not the descriptor): retry for a moment.
        var again: StateLock?
        for _ in 0..<100 where again == nil {
            again = try? StateLock.acquire(stateDirectory: directory.path + "/state", role: .daemon)
            if again == nil { usleep(20_000) }
        }
        #expect(again?.path.hasSuffix("backupd.lock") == true)
    }
}
