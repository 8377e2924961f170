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

@Suite("backupd run prunes after scheduled backups", .ownThreads)
struct DaemonPruneTests {
    /// The real daemon with a schedule every five seconds and keepLast 2: after its scheduled
    /// backups only the two newest backups of the job are left; the old ones (legacy names at
    /// past times), not the neighbour's or the stranger's objects, are gone and recorded.
    @Test func scheduledBackupsArePruned() async throws {
        let s3 = try TestS3.environment()
        let client = try await s3.makeBucket("daemonprune")
        let bucket = client.settings.bucket
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-daemonprune-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = ["cli/app-20261110T020000Z.txt", "cli/app-20261111T020000Z.txt"]
        let bystanders = ["cli/app-old-20261101T020000Z.txt", "cli/app.txt"]
        try await PastBackups.write(old + bystanders, with: client)
        let config = directory + "/config.json"
        try """
            {"stateDirectory": "\(directory)/state", "shutdownGracePeriod": "30s",
             "destinations": [{"name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)", "bucket": "\(bucket)",
                               "accessKeyId": {"env": "E2E_ACCESS_KEY"}, "secretAccessKey": {"env": "E2E_SECRET_KEY"}}],
             "jobs": [{"name": "app", "engine": "command", "schedule": "*/5 * * * * *", "destination": "local", "prefix": "cli",
                       "catchUp": "none", "compression": "none", "retention": {"keepLast": 2},
                       "connection": {"argv": ["printf", "hello"], "extension": ".txt"}}]}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let daemon = try DaemonProcess(configPath: config, directory: directory, environment: ["E2E_ACCESS_KEY": s3.accessKey, "E2E_SECRET_KEY": s3.secretKey])
        defer { daemon.cleanUp() }
        let pruned = await poll(timeout: 60) {
            ((try? HistoryStore(stateDirectory: directory + "/state", readOnly: true).deletions(job: "app").count) ?? 0) >= 2
        }
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 40) == 0)
        #expect(pruned, "no prune within 60 s; log:\n\(daemon.log)")
        #expect(daemon.log.contains("prune finished"))
        let keys = try PastBackups.awsKeys(s3, bucket: bucket)
        let runs = try HistoryStore(stateDirectory: directory + "/state", readOnly: true).runs().filter { $0.status == .succeeded }
        let newest = runs.sorted { $0.startedAt > $1.startedAt }.prefix(2).compactMap(\.objectKey)
        // Each surviving backup is its object and its manifest.
        let manifests = newest.map { $0.replacingOccurrences(of: #"\.[a-z.]+$"#, with: ".manifest.json", options: .regularExpression) }
        #expect(keys == (newest + manifests + bystanders).sorted(), "log:\n\(daemon.log)")
        #expect(try HistoryStore(stateDirectory: directory + "/state", readOnly: true).deletions(job: "app").map(\.objectKey).prefix(2).sorted() == old)
    }
}
