import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// One engine's case: its job, how to seed it, and how to prove a restore.
private struct EngineCase: Sendable, CustomStringConvertible {
    let engine: String
    /// The tools to fake and the argument that marks the dump among their invocations.
    let tools: [String]
    let dumpArgument: String
    /// Reasons printed for an empty dump and for a wrong one.
    let emptyReason: String
    let wrongReason: String
    var description: String { engine }
}

private let cases: [EngineCase] = [
    EngineCase(
        engine: "postgres", tools: ["pg_dump"], dumpArgument: "--format=custom",
        emptyReason: "pg_dump exited 0 but wrote nothing (expected a PGDMP header)",
        wrongReason: "pg_dump exited 0 but wrote no PGDMP header"),
    EngineCase(
        engine: "mysql", tools: ["mariadb-dump", "mysqldump"], dumpArgument: "--single-transaction",
        emptyReason: "exited 0 but wrote nothing (expected the \"-- Dump completed\" trailer)",
        wrongReason: "exited 0 but its output lacks the \"-- Dump completed\" trailer"),
    EngineCase(
        engine: "redis", tools: ["redis-cli"], dumpArgument: "--rdb",
        emptyReason: "redis-cli exited 0 but wrote nothing (expected an RDB file",
        wrongReason: "redis-cli exited 0 but wrote no RDB file (no REDIS magic"),
]

@Suite("backupd binary: a dump is a success only when it looks like one", .serialized, .timeLimit(.minutes(5)), .ownThreads)
struct DumpCheckCommandTests {
    /// A job of `engine` with keepLast 1 against the test server, seeded with known data; returns
    /// its connection and a check that a restored copy holds that data.
    private func prepare(_ engine: String, directory: String) throws -> (connection: [String: Any], restoreTarget: () throws -> String, proves: (String) throws -> Bool, cleanup: () -> Void) {
        switch engine {
        case "postgres":
            let server = try TestServers.postgres()
            let database = try server.createDatabase(prefix: "fake")
            _ = try server.psql("CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 1234);", database: database)
            var targets: [String] = []
            return (
                ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database],
                {
                    let target = try server.createDatabase(prefix: "fakeback")
                    targets.append(target)
                    return target
                },
                { target in try server.psql("SELECT count(*) FROM kept", database: target).trimmingCharacters(in: .whitespacesAndNewlines) == "1234" },
                { for name in [database] + targets { try? server.dropDatabase(name) } })
        case "mysql":
            let server = try TestServers.mariadb()
            let database = try server.createDatabase(prefix: "fake")
            _ = try server.mariadb("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1),(2),(3),(4),(5),(6),(7);", database: database)
            var targets: [String] = []
            return (
                ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database],
                {
                    let target = try server.createDatabase(prefix: "fakeback")
                    targets.append(target)
                    return target
                },
                { target in try server.mariadb("SELECT count(*) FROM kept", database: target).contains("7") },
                { for name in [database] + targets { try? server.dropDatabase(name) } })
        default:
            let server = try TestServers.redis()
            let db = try server.allocateDatabase()
            let marker = "kept-\(UUID().uuidString.prefix(8))"
            _ = try server.redisCLI(["SET", marker, "v"], database: db)
            return (
                ["host": server.host, "port": server.port, "password": server.password],
                { directory + "/restored-\(UUID().uuidString).rdb" },
                { target in
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))
                    return bytes.starts(with: Array("REDIS".utf8)) && String(decoding: bytes, as: UTF8.self).contains(marker)
                },
                { _ = try? server.redisCLI(["DEL", marker], database: db) })
        }
    }

    /// Through the real binary with a fake dump tool first on PATH that exits 0 with no output,
    /// then with the wrong format: each run fails naming the reason, leaves no manifest, no new
    /// object and no open multipart upload (read with the AWS CLI), records exactly one failed
    /// row and never prunes: with keepLast 1 the earlier real backup is still there and restores.
    @Test(arguments: cases)
    fileprivate func fakeDumpToolFails(_ engineCase: EngineCase) async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let bucket = destination.json["bucket"] as! String
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-dumpcheck-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let setup = try prepare(engineCase.engine, directory: directory)
        defer { setup.cleanup() }
        let root: [String: Any] = [
            "stateDirectory": directory + "/state", "destinations": [destination.json],
            "jobs": [["name": "fake", "engine": engineCase.engine, "schedule": "0 3 * * *", "destination": "test", "prefix": "dc",
                      "retention": ["keepLast": 1], "connection": setup.connection]],
        ]
        let config = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)

        let good = try runBackupd(["run-now", "fake", "--config", config], environment: Pipeline.defaultEnvironment, timeout: 120)
        #expect(good.status == 0, "\(good.stderr)")
        let goodKeys = try PastBackups.awsKeys(s3, bucket: bucket)
        #expect(goodKeys.filter { $0.hasSuffix(".manifest.json") }.count == 1, "\(goodKeys)")

        for (mode, output, reason) in [("empty", "", engineCase.emptyReason), ("wrong", "this is not a dump", engineCase.wrongReason)] {
            let fake = try FakeDumpTool(tools: engineCase.tools, dumpArgument: engineCase.dumpArgument, output: output)
            defer { fake.remove() }
            let rowsBefore = try HistoryStore(stateDirectory: directory + "/state", readOnly: true).runs(HistoryQuery(job: "fake", limit: 100))
            let run = try runBackupd(["run-now", "fake", "--config", config], environment: fake.environment, timeout: 120)
            #expect(run.status == 1, "\(mode): \(run.stdout) \(run.stderr)")
            #expect(run.stderr.contains(reason), "\(mode): \(run.stderr)")
            #expect(run.stderr.contains("no manifest written"), "\(mode): \(run.stderr)")
            #expect(try PastBackups.awsKeys(s3, bucket: bucket) == goodKeys, "\(mode): an object was stored or deleted")
            #expect(try s3.openUploadIDs(bucket: bucket).isEmpty, "\(mode): a multipart upload was left open")
            let rows = try HistoryStore(stateDirectory: directory + "/state", readOnly: true).runs(HistoryQuery(job: "fake", limit: 100))
            #expect(rows.count == rowsBefore.count + 1)
            #expect(rows.first?.status == .failed)
            #expect(rows.first?.error?.contains(reason) == true, "\(mode): \(rows.first?.error ?? "")")
            #expect(rows.first?.uploadID == nil)
            #expect(try HistoryStore(stateDirectory: directory + "/state", readOnly: true).deletions(job: "fake").isEmpty)
        }

        let target = try setup.restoreTarget()
        let restore = try runBackupd(["restore", "fake", "--to", target, "--config", config], environment: Pipeline.defaultEnvironment, timeout: 120)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try setup.proves(target), "the earlier backup did not restore its data")
    }
}
