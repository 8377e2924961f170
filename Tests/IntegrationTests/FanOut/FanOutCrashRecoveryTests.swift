import BackupTestSupport
import Foundation
import Glibc
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Fan-out crash recovery", .ownThreads)
struct FanOutCrashRecoveryTests {
    /// The restricted test user (a second key, owning nothing), granted everything in `bucket` once it exists.
    static func restrictedUser() throws -> (user: String, key: String, secret: String) {
        let env = ProcessInfo.processInfo.environment
        guard let user = env["BACKUPD_TEST_S3_RESTRICTED_USER"], let key = env["BACKUPD_TEST_S3_RESTRICTED_ACCESS_KEY"],
            let secret = env["BACKUPD_TEST_S3_RESTRICTED_SECRET_KEY"]
        else { throw TestS3.Missing(variable: "BACKUPD_TEST_S3_RESTRICTED_USER/ACCESS_KEY/SECRET_KEY") }
        return (user, key, secret)
    }

    /// Lets `user` do anything in `bucket`.
    static func grant(_ s3: TestS3, user: String, bucket: String) throws {
        let policy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/\(user)"]},\
            "Action":["s3:*"],"Resource":["arn:aws:s3:::\(bucket)","arn:aws:s3:::\(bucket)/*"]}]}
            """
        let put = try s3.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy])
        guard put.status == 0 else { throw TestSetupError("put-bucket-policy failed: \(put.error)") }
    }

    /// SIGKILL of `run-now` mid-upload of a fan-out run (two buckets, two users' keys) leaves an
    /// open upload in each bucket; the next start aborts both, and the run is one history row,
    /// interrupted, with each destination recorded interrupted and no upload left open.
    @Test func sigkillMidFanOutAbortsEveryDestinationsUpload() async throws {
        let restricted = try Self.restrictedUser()
        let fixture = try await FanOutFixture(
            dumpBytes: 12 << 20, bSecret: restricted.secret, bAccessKey: restricted.key, generated: true, stall: true)
        defer { fixture.remove() }
        try Self.grant(fixture.s3, user: restricted.user, bucket: fixture.buckets["b"]!)

        let runNow = Process()
        runNow.executableURL = URL(fileURLWithPath: try backupdBinary())
        runNow.arguments = ["run-now", "app", "--config", fixture.configPath]
        runNow.environment = fixture.environment
        let output = fixture.state + "/run-now.log"
        FileManager.default.createFile(atPath: output, contents: nil)
        runNow.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        runNow.standardOutput = runNow.standardError
        try runNow.run()
        defer { if runNow.isRunning { kill(runNow.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        // Both destinations' uploads are open and recorded, and parts are on their way.
        var lanes: [DestinationUpload] = []
        let started = try await poll(timeout: 90) {
            // The history is created by run-now as it starts.
            guard let history = try? HistoryStore(stateDirectory: fixture.state, readOnly: true),
                  let run = try history.runningRuns().first else { return false }
            lanes = try history.destinationUploads(runIDs: [run.id])[run.id] ?? []
            return lanes.count == 2 && lanes.allSatisfy { $0.uploadID != nil }
        }
        #expect(started, "both uploads did not start; log:\n\(log())")
        try #require(started)
        try await Task.sleep(for: .seconds(1))
        kill(runNow.processIdentifier, SIGKILL)
        runNow.waitUntilExit()
        for lane in lanes {
            await #expect(try fixture.openUploads(lane.destination).map(\.uploadID).contains(lane.uploadID!), "\(lane.destination) had no open upload before recovery")
        }

        let daemon = try DaemonProcess(configPath: fixture.configPath, directory: fixture.state, environment: fixture.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        let recovered = try await poll(timeout: 30) {
            let a = try await fixture.openUploads("a")
            let b = try await fixture.openUploads("b")
            return a.isEmpty && b.isEmpty
        }
        #expect(recovered, "an upload is still open after recovery; log:\n\(daemon.log)")
        _ = try await poll(timeout: 10) {
            try HistoryStore(stateDirectory: fixture.state, readOnly: true).openDestinationUploads().isEmpty
        }
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "log:\n\(daemon.log)")

        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        #expect(runs.count == 1, "\(runs.map { "\($0.id) \($0.status)" })")
        let run = try #require(runs.first)
        #expect(run.status == .interrupted && run.uploadID == nil)
        #expect(run.error?.contains("backupd stopped during this run") == true, "\(run.error ?? "nil")")
        let results = try history.destinationUploads(runIDs: [run.id])[run.id] ?? []
        #expect(results.map(\.destination) == ["a", "b"])
        #expect(results.allSatisfy { $0.status == .interrupted && $0.uploadID == nil }, "\(results)")
        #expect(try history.pendingAborts().isEmpty)
        let aborted = daemon.log.components(separatedBy: "aborted the upload of an interrupted run").count - 1
        #expect(aborted == 2, "log:\n\(daemon.log)")
        #expect(!daemon.log.contains(restricted.secret) && !daemon.log.contains(fixture.s3.secretKey))
        let shown = try fixture.backupd(["history", "app"])
        #expect(shown.stdout.contains("-> a") && shown.stdout.contains("-> b") && shown.stdout.contains("interrupted"), "\(shown.stdout)")
    }

    /// The upload sweeper looks at every destination of a fan-out job: an orphaned upload older
    /// than the job's timeout is aborted in each bucket, while the uploads a running fan-out run
    /// recorded at its destinations are left alone.
    @Test func sweeperAbortsOrphansAtEveryDestination() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 0, generated: true)
        defer { fixture.remove() }
        let sources = ConfigSources(
            environment: fixture.environment, readFile: { path, limit in try RegularFileReader.read(path, limit: limit) },
            permissions: ConfigSources.live.permissions, checkFile: ConfigSources.live.checkFile)
        let config = try BackupConfig.load(path: fixture.configPath, sources: sources).config
        let history = try HistoryStore(stateDirectory: fixture.state)
        let orphanKey = fixture.prefix + "/app-20261201T000000Z-0badc0de.bin"
        let ownedKey = fixture.prefix + "/app-20261201T010000Z-0123abcd.bin"
        var orphans: [String: String] = [:]
        var owned: [String: String] = [:]
        for name in ["a", "b"] {
            orphans[name] = try await fixture.clients[name]!.createMultipartUpload(key: orphanKey)
            owned[name] = try await fixture.clients[name]!.createMultipartUpload(key: ownedKey)
        }
        let run = try history.insertRunning(job: "app", trigger: .schedule, scheduledAt: nil, startedAt: Date(), destination: "a")
        try history.recordDestinationsStarted(runID: run, [(name: "a", bucket: fixture.buckets["a"]), (name: "b", bucket: fixture.buckets["b"])])
        for name in ["a", "b"] {
            try history.recordDestinationUpload(runID: run, destination: name, objectKey: ownedKey, uploadID: owned[name]!)
        }
        // The run row names only its last upload (b's); a's is known from its destination row.
        try history.updateProgress(runID: run, RunProgress(uploadID: owned["b"]!, destination: "b", objectKey: ownedKey))

        let sweeper = UploadSweeper(
            history: history, configuration: { config }, stores: S3StoreProvider(logger: Logger(label: "test.sweeper"), abortLedger: history),
            clock: ManualWallClock(Date().addingTimeInterval(2 * 86_400)), logger: Logger(label: "test.sweeper"))
        let report = try await sweeper.sweepOnce()
        #expect(Set(report.orphansAborted) == Set(orphans.values), "\(report)")
        for name in ["a", "b"] {
            await #expect(try fixture.openUploads(name).map(\.uploadID) == [owned[name]!], "destination \(name)")
            try await fixture.clients[name]!.abortMultipartUpload(key: ownedKey, uploadID: owned[name]!)
        }
    }
}
