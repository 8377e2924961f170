import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Runs the built `backupd` binary (next to the test runner) with an environment; stderr is drained
/// on its own thread by the launcher, so neither stream can block the other.
func runBackupd(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let binary = runner.deletingLastPathComponent().appendingPathComponent("backupd").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw TestServerError.toolMissing(tool: "backupd (build it with swift build --build-tests)")
    }
    let process = try PosixProcessLauncher().launch(ProcessSpec(
        argv: [binary] + arguments, environment: environment))
    var stdout: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
        if n == 0 { break }
        stdout.append(contentsOf: buffer[..<n])
    }
    let exit = process.wait()
    return (exit.statusCode, String(decoding: stdout, as: UTF8.self), process.stderrTail())
}

@Suite("backupd run-now, list, restore", .ownThreads)
struct CommandLineTests {
    /// run-now prints the object, size, SHA-256 and duration and records a run-now run; list shows
    /// it; restore --to puts it into another database; a failing run exits 1 with the reason.
    @Test func runNowListRestore() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "cli")
        let target = try server.createDatabase(prefix: "clidst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'värde ' || g FROM generate_series(1, 5000) g;", database: source)
        let destination = try await TestDestination.make()
        let state = FileManager.default.temporaryDirectory.path + "/backupd-cli-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let jobs: [[String: Any]] = [
            ["name": "app", "engine": "postgres", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli/\(source)",
             "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "CLI_PG_PASSWORD"], "database": source]],
            ["name": "broken", "engine": "postgres", "schedule": "0 3 * * *", "destination": "test",
             "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "CLI_PG_PASSWORD"], "database": "no_such_db_x"]],
        ]
        let root: [String: Any] = ["stateDirectory": state, "destinations": [destination.json], "jobs": jobs]
        let configPath = state + ".json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        var environment = Pipeline.defaultEnvironment
        environment["CLI_PG_PASSWORD"] = server.password

        let run = try runBackupd(["run-now", "app", "--config", configPath], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let bucket = destination.json["bucket"] as! String
        #expect(run.stdout.contains("  object   s3://\(bucket)/cli/\(source)/app-"))
        #expect(run.stdout.range(of: #"sha256   [0-9a-f]{64}-[0-9]+"#, options: .regularExpression) != nil)
        #expect(run.stdout.hasPrefix("backed up app in "))

        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        let last = try #require(try history.lastRun(job: "app"))
        #expect(last.trigger == .runNow)
        #expect(last.status == .succeeded)

        let list = try runBackupd(["list", "app", "--config", configPath], environment: environment)
        #expect(list.status == 0)
        // One row per backup, named by its backup id (the manifest lists the objects).
        #expect(list.stdout.contains("  app-2") && list.stdout.contains("zstd"))

        let restore = try runBackupd(["restore", "app", "--to", target, "--config", configPath], environment: environment)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try server.psql("SELECT count(*), max(v) FROM t", database: target) == "5000|värde 999\n")

        let failed = try runBackupd(["run-now", "broken", "--config", configPath], environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("backup of broken failed after"))
        #expect(failed.stderr.contains("job broken: database no_such_db_x does not exist"))
        #expect(try history.lastRun(job: "broken")?.status == .failed)
        #expect(!failed.stderr.contains(server.password))
    }
}
