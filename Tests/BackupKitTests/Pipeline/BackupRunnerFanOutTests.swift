import BackupTestSupport
import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Opens a separate in-memory store per destination name.
struct StoresByName: ObjectStoreProvider {
    let stores: [String: MemoryObjectStore]
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { stores[destination.name]! }
}

@Suite("Backup runner fan-out", .ownThreads)
struct BackupRunnerFanOutTests {
    /// A command job writing `bytes` pattern bytes, uploaded to "local" and "archive", counting its runs in `counter`.
    func fanOutConfig(counter: String, bytes: Int) throws -> BackupConfig {
        let text = configText { root in
            addArchiveDestination(&root)
            editJob(&root) { job in
                job = [
                    "name": "job1", "schedule": "0 3 * * *", "destinations": ["local", "archive"], "prefix": "pre/fix", "engine": "command", "compression": "none",
                    "connection": ["argv": ["sh", "-c", "echo run >> '\(counter)'; head -c \(bytes) /dev/zero | tr '\\0' 'x'"], "extension": "tar"],
                ]
            }
        }
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        return try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
    }

    func run(_ config: BackupConfig, stores: [String: MemoryObjectStore]) async throws -> RunOutcome {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        return await BackupRunner(
            stores: StoresByName(stores: stores), launcher: PosixProcessLauncher(), clock: FixedClock(time: pipelineStart),
            environment: testEnvironment, secretsParent: tmp.path, host: "testhost", makeToken: { testToken }
        ).execute(
            job: config.job(named: "job1")!, config: config, startedAt: pipelineStart,
            progress: { _ in }, logger: Logger(label: "test"))
    }

    /// Both destinations get the same objects and a manifest naming the other; the tool runs once.
    @Test func bothSucceed() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let counter = tmp.path + "/counter"
        let local = MemoryObjectStore(partSize: 1 << 20)
        let archive = MemoryObjectStore(partSize: 2 << 20)
        let outcome = try await run(try fanOutConfig(counter: counter, bytes: 6_000_000), stores: ["local": local, "archive": archive])
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(outcome.destinations.map(\.destination) == ["local", "archive"])
        #expect(outcome.destinations.allSatisfy { $0.status == .succeeded && $0.sha256 == outcome.sha256 })
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\n")
        let key = try #require(outcome.objectKey)
        #expect(local.bytes(of: key) == archive.bytes(of: key))
        let manifestKey = try #require(local.keys.first { $0.hasSuffix(".manifest.json") })
        let localManifest = try BackupManifest.parse(try #require(local.bytes(of: manifestKey)), key: manifestKey)
        let archiveManifest = try BackupManifest.parse(try #require(archive.bytes(of: manifestKey)), key: manifestKey)
        #expect(localManifest.copies == [BackupManifest.Copy(destination: "archive", bucket: "archive-bucket", manifestKey: manifestKey)])
        #expect(archiveManifest.copies.map(\.destination) == ["local"])
        #expect(localManifest.objects.first?.sha256 == archiveManifest.objects.first?.sha256)
    }

    /// One destination failing mid-stream makes the run partial; its upload is aborted, the other is complete.
    @Test func oneFailsPartial() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let local = MemoryObjectStore(partSize: 1 << 20)
        let archive = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let outcome = try await run(try fanOutConfig(counter: tmp.path + "/c", bytes: 8_000_000), stores: ["local": local, "archive": archive])
        #expect(outcome.status == .partial)
        #expect(outcome.error?.contains("stored in 1 of 2 destinations; archive: upload of") == true, "\(outcome.error ?? "")")
        #expect(outcome.destinations.map(\.status) == [.succeeded, .failed])
        #expect(archive.keys.isEmpty && archive.abortedKeys.count == 1)
        await #expect(try archive.openUploads(prefix: "").isEmpty)
        #expect(local.keys.contains { $0.hasSuffix(".manifest.json") })
    }

    /// Every destination failing is a failed run, with each destination's reason.
    @Test func allFailFailed() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let local = MemoryObjectStore(partSize: 1 << 20, failAfter: 1 << 20)
        let archive = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let outcome = try await run(try fanOutConfig(counter: tmp.path + "/c", bytes: 8_000_000), stores: ["local": local, "archive": archive])
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("failed at every destination (local:") == true, "\(outcome.error ?? "")")
        #expect(local.keys.isEmpty && archive.keys.isEmpty)
    }

    /// `afterBackup` verifies the copy at every destination that stored it: both after a full run,
    /// only the one that stored it after a partial run.
    @Test func afterBackupVerifiesEachStoredCopy() async throws {
        for failArchive in [false, true] {
            let tmp = try TemporaryDirectory()
            defer { tmp.remove() }
            let history = try HistoryStore(stateDirectory: tmp.path + "/state")
            var config = try fanOutConfig(counter: tmp.path + "/c", bytes: 3_000_000)
            config.jobs[0].verify = VerifySettings(afterBackup: true)
            let stores = StoresByName(stores: [
                "local": MemoryObjectStore(partSize: 1 << 20),
                "archive": failArchive ? MemoryObjectStore(partSize: 1 << 20, failAfter: 1 << 20) : MemoryObjectStore(partSize: 1 << 20),
            ])
            let clock = FixedClock(time: pipelineStart)
            let runner = BackupRunner(
                stores: stores, launcher: PosixProcessLauncher(), clock: clock, environment: testEnvironment, secretsParent: tmp.path,
                host: "testhost", makeToken: { testToken })
            let verifier = VerifyRunner(stores: stores, launcher: PosixProcessLauncher(), environment: testEnvironment, clock: clock, history: history)
            let recorder = RunRecorder(history: history, executor: runner, clock: clock, observers: [AfterBackupVerifier(runner: verifier)])
            let (_, outcome) = try await recorder.perform(
                ScheduledRun(job: "job1", trigger: .runNow, scheduledFor: pipelineStart), job: config.jobs[0], config: config, logger: Logger(label: "t"))
            #expect(outcome.status == (failArchive ? .partial : .succeeded), "\(outcome.error ?? "")")
            let records = try history.verifications(job: "job1")
            #expect(records.count == (failArchive ? 1 : 2))
            #expect(records.allSatisfy { $0.trigger == .afterBackup && $0.passed }, "\(records.map { $0.error ?? "" })")
        }
    }
}
