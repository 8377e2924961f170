import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd binary: suspicious shrinkage protects the past", .timeLimit(.minutes(4)), .ownThreads)
struct SuspiciousBackupCommandTests {
    /// Three normal backups, then a tiny one, through the real binary against radosgw with
    /// keepLast 1: the tiny one is stored and marked suspicious in its manifest, `history`,
    /// `list` (and their --json), `status` (exit 1), a `backup_suspicious` webhook and the metric;
    /// retention keeps the older good backup, which restores. After `backupd ack` the job is ok
    /// again and the next backup's prune treats the acknowledged one as a normal backup.
    @Test func tinyBackupIsStoredMarkedAndKeepsThePast() async throws {
        let s3 = try TestS3.environment()
        let hooks = try TestHTTPServer()
        let destination = try await TestDestination.make()
        let bucket = destination.json["bucket"] as! String
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-suspicious-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let payload = directory + "/payload"
        let textfile = directory + "/backupd.prom"
        let root: [String: Any] = [
            "stateDirectory": directory + "/state", "destinations": [destination.json],
            "notify": ["webhooks": [hooks.url("/hook")]], "metrics": ["textfile": textfile],
            "jobs": [["name": "shrink", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "sus",
                      "retention": ["keepLast": 1],
                      "connection": ["argv": ["cat", payload], "restoreArgv": ["sh", "-c", "cat > \"$0\"", directory + "/restored"], "extension": "txt"]]],
        ]
        let config = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        let environment = Pipeline.defaultEnvironment
        func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBackupd(arguments + ["--config", config], environment: environment, timeout: 60)
        }
        func manifests() throws -> [String] { try PastBackups.awsKeys(s3, bucket: bucket).filter { $0.hasSuffix(".manifest.json") } }

        let normal = (1...4000).map { "line \($0)\n" }.joined()
        for _ in 0..<3 {
            try normal.write(toFile: payload, atomically: true, encoding: .utf8)
            let run = try backupd(["run-now", "shrink"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("SUSPICIOUS"))
            try? await Task.sleep(for: .seconds(1.1))  // one backup per second: names are to the second
        }
        let good = try manifests()
        #expect(good.count == 1, "\(good)")
        _ = hooks.waitFor(6)

        try "tiny\n".write(toFile: payload, atomically: true, encoding: .utf8)
        let tiny = try backupd(["run-now", "shrink"])
        #expect(tiny.status == 0, "\(tiny.stderr)")
        #expect(tiny.stderr.contains("is SUSPICIOUS: the dump is 5 bytes, below 10% of the median"), "\(tiny.stderr)")
        let both = try manifests()
        #expect(both.count == 2 && both.contains(good[0]), "retention deleted the older good backup: \(both)")
        let suspiciousKey = try #require(both.first { $0 != good[0] })
        let backupID = String(suspiciousKey.dropFirst("sus/".count).dropLast(".manifest.json".count))
        let manifest = try s3.aws(["s3", "cp", "s3://\(bucket)/\(suspiciousKey)", "-"])
        #expect(manifest.output.contains("\"suspicious\" : \"the dump is 5 bytes") || manifest.output.contains("\"suspicious\": \"the dump is 5 bytes"), "\(manifest.output)")

        let history = try backupd(["history", "shrink"])
        #expect(history.stdout.contains("succeeded SUSPICIOUS"), "\(history.stdout)")
        let historyJSON = try backupd(["history", "shrink", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(historyJSON.stdout.utf8)) as? [[String: Any]])
        #expect((rows.first?["suspicious"] as? String)?.hasPrefix("the dump is 5 bytes") == true)
        #expect(rows.dropFirst().allSatisfy { $0["suspicious"] is NSNull })
        let list = try backupd(["list", "shrink"])
        #expect(list.stdout.range(of: #"keep \(suspicious\)\s+\#(backupID) SUSPICIOUS"#, options: .regularExpression) != nil, "\(list.stdout)")
        #expect(list.stdout.contains("keep (last)"), "\(list.stdout)")
        let listJSON = try backupd(["list", "shrink", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]])
        #expect(entries.first { $0["id"] as? String == backupID }?["suspicious"] is String)
        #expect(entries.first { $0["id"] as? String != backupID }?["suspicious"] is NSNull)
        let status = try backupd(["status"])
        #expect(status.status == 1)
        #expect(status.stdout.contains("SUSPICIOUS") && status.stdout.contains("backupd ack shrink \(backupID)"), "\(status.stdout)")
        let events = hooks.waitFor(9).compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])?["event"] as? String }
        #expect(Array(events.suffix(3)) == ["start", "success", "backup_suspicious"], "\(events)")
        let metrics = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8))
        #expect(metrics.samples["backupd_last_backup_suspicious{backup_job=\"shrink\"}"] == 1)

        let goodID = String(good[0].dropFirst("sus/".count).dropLast(".manifest.json".count))
        let restore = try backupd(["restore", "shrink", goodID])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try String(contentsOfFile: directory + "/restored", encoding: .utf8) == normal)

        let wrong = try backupd(["ack", "shrink", goodID])
        #expect(wrong.status == 1 && wrong.stderr.contains("no unacknowledged suspicious backup \(goodID)"), "\(wrong.stderr)")
        let ack = try backupd(["ack", "shrink", backupID])
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(try backupd(["status"]).status == 0)
        #expect(try backupd(["list", "shrink"]).stdout.contains("\(backupID) (suspicious, acknowledged)"))

        try? await Task.sleep(for: .seconds(1.1))
        try normal.write(toFile: payload, atomically: true, encoding: .utf8)
        let next = try backupd(["run-now", "shrink"])
        #expect(next.status == 0 && !next.stderr.contains("SUSPICIOUS"), "\(next.stderr)")
        let last = try manifests()
        #expect(last.count == 1 && !last.contains(suspiciousKey) && !last.contains(good[0]), "\(last)")
        let after = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8))
        #expect(after.samples["backupd_last_backup_suspicious{backup_job=\"shrink\"}"] == 0)
    }
}
