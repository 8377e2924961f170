import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The real `backupd run` with `maxConcurrentJobs: 1`: a quick job verified every second and a
/// slow job, both started by `run-now` through the daemon, against radosgw.
private struct ConcurrencySetup {
    let s3: TestS3
    let bucket: String
    let directory: String
    let configPath: String
    let environment: [String: String]

    init() async throws {
        s3 = try TestS3.environment()
        bucket = try await s3.makeBucket("vconc").settings.bucket
        directory = FileManager.default.temporaryDirectory.path + "/backupd-vconc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
        environment = ["VC_ACCESS_KEY": s3.accessKey, "VC_SECRET_KEY": s3.secretKey]
        let job = { (name: String, script: String, verify: String) in
            """
            {"name": "\(name)", "engine": "command", "schedule": "0 0 1 1 *", "destination": "local", "prefix": "vc/\(name)",
             "catchUp": "none", "compression": "none", \(verify)
             "connection": {"argv": ["/bin/sh", "-c", "\(script)"], "extension": ".bin"}}
            """
        }
        let text = """
            {"stateDirectory": "\(directory)/state", "shutdownGracePeriod": "30s", "maxConcurrentJobs": 1,
             "destinations": [{"name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)",
                               "bucket": "\(bucket)", "accessKeyId": {"env": "VC_ACCESS_KEY"}, "secretAccessKey": {"env": "VC_SECRET_KEY"}}],
             "jobs": [\(job("quick", "echo a quick backup", "\"verify\": {\"schedule\": \"* * * * * *\"},")),
                      \(job("slow", "echo a slow backup; sleep 6", ""))]}
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory + "/state", readOnly: true) }

    /// The quick job's scheduled verifications, oldest first.
    func verifications() throws -> [VerificationRecord] {
        try history().verifications(job: "quick").filter { $0.trigger == .schedule }.sorted { $0.startedAt < $1.startedAt }
    }

    func backupd(_ arguments: [String]) throws -> BackupdProcess {
        try BackupdProcess(arguments + ["--config", configPath], directory: directory, environment: environment)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("Scheduled verification under maxConcurrentJobs", .timeLimit(.minutes(3)), .ownThreads)
struct VerificationConcurrencyDaemonTests {
    /// With `maxConcurrentJobs: 1`, the every-second verification of one job never runs while
    /// another job's 6-second backup holds the only slot: verifications run before it and again
    /// after it, none in between, and the daemon logs the verification queued behind the backup.
    @Test func verificationWaitsForTheRunningBackup() async throws {
        let setup = try await ConcurrencySetup()
        defer { setup.remove() }
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")

        let quick = try setup.backupd(["run-now", "quick"])
        defer { quick.kill() }
        #expect(await quick.waitForExit(timeout: 60) == 0, "quick: \(quick.stderr)\nlog:\n\(daemon.log)")
        #expect(try await poll(timeout: 30) { try setup.verifications().count >= 2 }, "log:\n\(daemon.log)")

        let slow = try setup.backupd(["run-now", "slow"])
        defer { slow.kill() }
        #expect(await slow.waitForExit(timeout: 90) == 0, "slow: \(slow.stderr)\nlog:\n\(daemon.log)")
        let run = try #require(try setup.history().runs(HistoryQuery(job: "slow", status: .succeeded)).first)
        let ended = try #require(run.endedAt)
        #expect(ended.timeIntervalSince(run.startedAt) >= 5.5)
        #expect(try await poll(timeout: 30) { try setup.verifications().contains { $0.startedAt >= ended } }, "log:\n\(daemon.log)")

        let during = try setup.verifications().filter { $0.startedAt > run.startedAt && $0.startedAt < ended }
        #expect(during.isEmpty, "verifications started while the backup held the only slot: \(during.map(\.startedAt))")
        let overlapping = try setup.verifications().filter { $0.startedAt < ended && $0.endedAt > run.startedAt }
        #expect(overlapping.isEmpty, "verifications ran beside the backup: \(overlapping.map { ($0.startedAt, $0.endedAt) })")
        #expect(try setup.verifications().contains { $0.endedAt <= run.startedAt })
        #expect(daemon.log.contains("scheduled verification queued: maxConcurrentJobs reached"), "log:\n\(daemon.log)")
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0)
    }
}
