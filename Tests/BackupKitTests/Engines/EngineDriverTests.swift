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

private let password = "Pa55:w\"rd\\x"

/// The job config of each engine, with `password` as its secret.
private func engineJob(_ engine: String, extra: [String: Any] = [:]) -> [String: Any] {
    var connection: [String: Any]
    switch engine {
    case "postgres": connection = ["host": "db.internal", "port": 5433, "username": "backup", "password": password, "database": "app"]
    case "mysql": connection = ["host": "db.internal", "username": "backup", "password": password, "database": "shop"]
    case "mongodb": connection = ["uri": "mongodb://backup@db.internal:27017/app?authSource=admin", "password": password]
    case "redis": connection = ["host": "cache.internal", "username": "backup", "password": password]
    default: connection = ["argv": ["sqlite3", "/srv/app.db", ".backup /dev/stdout"], "environment": ["API_TOKEN": password]]
    }
    for (key, value) in extra { connection[key] = value }
    return ["engine": engine, "connection": connection]
}

private let allTools: Set<String> = [
    "pg_dump", "pg_dumpall", "psql", "pg_restore", "mariadb-dump", "mariadb", "mongodump", "mongorestore", "redis-cli", "sqlite3",
]

/// Runs job1 with a recording launcher and returns the outcome and the launcher.
private func record(
    _ job: [String: Any], compression: String = "zstd", installed: Set<String> = allTools,
    reply: @escaping @Sendable (ProcessSpec) -> RecordingLauncher.Reply = healthyTools()
) async throws -> (RunOutcome, RecordingLauncher, MemoryObjectStore) {
    let launcher = RecordingLauncher(installed: installed, reply: reply)
    let store = MemoryObjectStore()
    let outcome = try await runJob(try pipelineConfig(job, compression: compression), store: store, launcher: launcher)
    return (outcome, launcher, store)
}

@Suite("Engine drivers", .ownThreads)
struct EngineDriverTests {
    /// For every engine the password is never on any argv, and it reaches the tool only through its
    /// environment or a 0600 file.
    @Test(arguments: ["postgres", "mysql", "mongodb", "redis", "command"])
    func secretNeverInArgv(engine: String) async throws {
        let (outcome, launcher, _) = try await record(engineJob(engine))
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(!launcher.specs.isEmpty)
        for spec in launcher.specs {
            #expect(!spec.argv.joined(separator: " ").contains("Pa55"), "\(spec.argv)")
        }
        let viaEnvironment = launcher.specs.contains { $0.environment.values.contains(password) }
        let viaFile = launcher.secretFiles.values.contains { $0.contents.contains("Pa55") && $0.mode == 0o600 }
        #expect(viaEnvironment || viaFile)
        #expect(launcher.secretFiles.values.allSatisfy { $0.mode == 0o600 })
    }

    /// pg_dump writes the custom format, uncompressed when backupd compresses; the password goes in a passfile.
    @Test(arguments: [("zstd", true), ("none", false)])
    func postgresDump(compression: String, uncompressed: Bool) async throws {
        let (outcome, launcher, store) = try await record(engineJob("postgres"), compression: compression)
        #expect(outcome.status == .succeeded)
        let dump = try #require(launcher.specs.first { $0.argv[0] == "pg_dump" && !$0.argv.contains("--version") })
        #expect(dump.argv == ["pg_dump", "--format=custom"] + (uncompressed ? ["--compress=0"] : []) + [
            "--host", "db.internal", "--port", "5433", "--username", "backup", "--no-password", "--dbname", "app"])
        let passfile = try #require(dump.environment["PGPASSFILE"])
        #expect(launcher.secretFiles[passfile]?.contents == "*:*:*:*:Pa55\\:w\"rd\\\\x\n")
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.dump" + (uncompressed ? ".zst" : ""), manifestKey].sorted())
        await #expect(try store.head(key: store.keys[0])?.metadata["tool-version"] == "15.4")
    }

    /// `"globals": true` adds pg_dumpall --globals-only as a second object.
    @Test func postgresGlobals() async throws {
        let (outcome, launcher, store) = try await record(engineJob("postgres", extra: ["globals": true]))
        #expect(outcome.status == .succeeded)
        #expect(launcher.specs.contains { $0.argv.starts(with: ["pg_dumpall", "--globals-only"]) })
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.dump.zst", "pre/fix/job1-20261125T023000Z-0123abcd.globals.sql.zst", manifestKey].sorted())
        #expect(outcome.objectKey == "pre/fix/job1-20261125T023000Z-0123abcd.dump.zst")
    }

    /// mariadb-dump gets its option file first, then the consistency flags; the file quotes the password.
    @Test func mysqlDump() async throws {
        let (outcome, launcher, store) = try await record(engineJob("mysql"), compression: "gzip")
        #expect(outcome.status == .succeeded)
        let dump = try #require(launcher.specs.first { $0.argv[0] == "mariadb-dump" && !$0.argv.contains("--version") })
        #expect(dump.argv[1].hasPrefix("--defaults-extra-file=/"))
        #expect(Array(dump.argv.dropFirst(2)) == [
            "--host=db.internal", "--port=3306", "--protocol=TCP", "--user=backup",
            "--default-character-set=utf8mb4", "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "shop"])
        let file = String(dump.argv[1].dropFirst("--defaults-extra-file=".count))
        #expect(launcher.secretFiles[file]?.contents == "[client]\npassword=\"Pa55:w\\\"rd\\\\x\"\n")
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.sql.gz", manifestKey].sorted())
    }

    /// mysqldump is used when mariadb-dump is not installed.
    @Test func mysqldumpFallback() async throws {
        let installed = allTools.subtracting(["mariadb-dump", "mariadb"]).union(["mysqldump", "mysql"])
        let (outcome, launcher, _) = try await record(engineJob("mysql"), installed: installed) { spec in
            spec.argv[0] == "mysql" ? .init(output: "8.0.36\n") : .init(output: spec.argv.contains("--version") ? "mysqldump  Ver 8.0.36 for Linux on x86_64\n" : "-- dump\n-- Dump completed on 2026-11-25  2:30:00\n")
        }
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(launcher.specs.contains { $0.argv[0] == "mysqldump" && $0.argv.contains("--single-transaction") })
    }

    /// mongodump writes an archive to stdout; the password is in a --config YAML file, the URI has none.
    @Test func mongoDump() async throws {
        let (outcome, launcher, store) = try await record(engineJob("mongodb"))
        #expect(outcome.status == .succeeded)
        let dump = try #require(launcher.specs.first { $0.argv[0] == "mongodump" && !$0.argv.contains("--version") })
        #expect(dump.argv.prefix(3) == ["mongodump", "--archive", "--uri=mongodb://backup@db.internal:27017/app?authSource=admin"])
        let config = String(try #require(dump.argv.last { $0.hasPrefix("--config=") }).dropFirst("--config=".count))
        #expect(launcher.secretFiles[config]?.contents == "password: \"Pa55:w\\\"rd\\\\x\"\n")
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.archive.zst", manifestKey].sorted())
        await #expect(try store.head(key: store.keys[0])?.metadata["tool-version"] == "100.9.4")
    }

    /// redis-cli streams the RDB with the password in REDISCLI_AUTH.
    @Test func redisDump() async throws {
        let (outcome, launcher, store) = try await record(engineJob("redis"))
        #expect(outcome.status == .succeeded)
        let dump = try #require(launcher.specs.first { $0.argv.contains("--rdb") })
        #expect(dump.argv == ["redis-cli", "-h", "cache.internal", "-p", "6379", "--no-auth-warning", "--user", "backup", "--rdb", "-"])
        #expect(dump.environment["REDISCLI_AUTH"] == password)
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.rdb.zst", manifestKey].sorted())
    }

    /// A tool older than the server is refused before anything is uploaded.
    @Test func toolTooOld() async throws {
        let (outcome, _, store) = try await record(engineJob("postgres"), reply: healthyTools(pgDump: "14.9", pgServer: "160002"))
        #expect(outcome.status == .failed)
        #expect(outcome.error == "job job1: pg_dump 14.9 is older than the server (16.2) and cannot dump it reliably; install the client tools of version 16.2 or newer")
        #expect(store.abortedKeys.isEmpty && store.keys.isEmpty)
        let (redisOutcome, _, _) = try await record(engineJob("redis"), reply: healthyTools(redisCLI: "6.2.1"))
        #expect(redisOutcome.error?.contains("redis-cli 6.2.1 is older than the server (7.0.15)") == true)
    }

    /// Refused connections, bad passwords and missing databases are told apart from the tools' stderr.
    @Test(arguments: [
        ("postgres", "psql: error: connection to server at \"db.internal\" (10.0.0.5), port 5433 failed: Connection refused\n", "job job1: cannot connect to db.internal:5433"),
        ("postgres", "psql: error: connection to server at \"db.internal\", port 5433 failed: FATAL:  password authentication failed for user \"backup\"\n", "job job1: the server rejected user backup"),
        ("postgres", "psql: error: connection to server failed: FATAL:  database \"app\" does not exist\n", "job job1: database app does not exist"),
        ("mysql", "ERROR 2002 (HY000): Can't connect to server on 'db.internal' (115)\n", "job job1: cannot connect to db.internal:3306"),
        ("mysql", "ERROR 1045 (28000): Access denied for user 'backup'@'10.0.0.9' (using password: YES)\n", "job job1: the server rejected user backup"),
        ("mysql", "ERROR 1049 (42000): Unknown database 'shop'\n", "job job1: database shop does not exist"),
        ("redis", "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n", "job job1: the server rejected user backup"),
        ("redis", "Could not connect to Redis at cache.internal:6379: Connection refused\n", "job job1: cannot connect to cache.internal:6379"),
    ])
    func classifiesFailures(engine: String, stderr: String, expected: String) async throws {
        let (outcome, _, store) = try await record(engineJob(engine)) { spec in
            let query = spec.argv[0] == "psql" || spec.argv[0] == "mariadb" || spec.argv.contains("INFO")
            return query ? .init(stderr: stderr, exit: .exited(engine == "postgres" ? 2 : 1)) : healthyTools()(spec)
        }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix(expected) == true, "\(outcome.error ?? "")")
        #expect(store.keys.isEmpty && store.abortedKeys.isEmpty)
    }

    /// A version check that never answers is killed (its whole process group) after its timeout
    /// and reported as such, through the real POSIX launcher.
    @Test func checkThatHangsIsKilled() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let config = try pipelineConfig(engineJob("postgres"))
        let context = EngineContext(
            job: config.job(named: "job1")!, secrets: try SecretDirectory(parent: tmp.path), launcher: PosixProcessLauncher(),
            baseEnvironment: testEnvironment)
        let started = Date()
        #expect(throws: EngineError.checkTimedOut(job: "job1", tool: "sh", seconds: 1)) {
            _ = try context.capture(["/bin/sh", "-c", "sleep 30 & wait"], environment: testEnvironment, timeout: .seconds(1))
        }
        #expect(Date().timeIntervalSince(started) < 10, "the check was not killed at its timeout")
        let quick = try context.capture(["/bin/sh", "-c", "echo 16.4"], environment: testEnvironment, timeout: .seconds(10))
        #expect(quick.output == "16.4\n")
    }

    /// A missing engine tool is named with what to install.
    @Test func missingTool() async throws {
        let (outcome, _, _) = try await record(engineJob("mongodb"), installed: allTools.subtracting(["mongodump"]))
        #expect(outcome.error?.hasPrefix("job job1: mongodump is not installed or not on PATH") == true)
        #expect(outcome.error?.contains("mongodb-database-tools") == true)
    }

    /// Restores: pg_restore with --clean --if-exists into --to (without owners and grants there); mysql client into the target;
    /// mongorestore --drop; redis needs --to and writes a file.
    @Test func restoreActions() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let launcher = RecordingLauncher(installed: allTools, reply: healthyTools())
        func action(_ engine: String, key: String, _ options: RestoreOptions) throws -> RestoreAction {
            let config = try pipelineConfig(engineJob(engine))
            let context = EngineContext(
                job: config.job(named: "job1")!, secrets: try SecretDirectory(parent: tmp.path), launcher: launcher,
                baseEnvironment: testEnvironment)
            return try EngineDrivers.driver(for: context.job).restoreAction(key: key, options: options, context: context)
        }
        guard case .process(_, let pgArgv, _) = try action("postgres", key: "a.dump.zst", RestoreOptions(target: "app_copy", clean: true)) else {
            Issue.record("pg_restore expected")
            return
        }
        #expect(pgArgv == ["pg_restore", "--host", "db.internal", "--port", "5433", "--username", "backup", "--no-password",
                           "--dbname", "app_copy", "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", "--clean", "--if-exists"])
        guard case .process(_, let globalsArgv, _) = try action("postgres", key: "a.globals.sql.zst", RestoreOptions()) else {
            Issue.record("psql expected")
            return
        }
        #expect(globalsArgv.first == "psql")
        guard case .process(_, let myArgv, _) = try action("mysql", key: "a.sql.gz", RestoreOptions(target: "shop_copy")) else {
            Issue.record("mariadb expected")
            return
        }
        #expect(myArgv.first == "mariadb" && myArgv[1].hasPrefix("--defaults-extra-file=") && myArgv.last == "shop_copy")
        guard case .process(_, let mongoArgv, _) = try action("mongodb", key: "a.archive.zst", RestoreOptions(clean: true)) else {
            Issue.record("mongorestore expected")
            return
        }
        #expect(mongoArgv.prefix(2) == ["mongorestore", "--archive"] && mongoArgv.last == "--drop")
        #expect(try action("redis", key: "a.rdb.zst", RestoreOptions(target: "/tmp/x.rdb")) == .file(path: "/tmp/x.rdb"))
        #expect(throws: EngineError.self) { try action("redis", key: "a.rdb.zst", RestoreOptions()) }
    }
}
