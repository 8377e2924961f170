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

private let tools: Set<String> = ["pg_dump", "pg_dumpall", "psql", "mariadb-dump", "mariadb", "mongodump", "redis-cli", "sh"]

/// A job of `engine` against a made-up server.
private func job(_ engine: String, extra: [String: Any] = [:]) -> [String: Any] {
    var connection: [String: Any]
    switch engine {
    case "postgres", "mysql": connection = ["host": "db.internal", "username": "backup", "database": "app"]
    case "mongodb": connection = ["uri": "mongodb://backup@db.internal:27017/app"]
    default: connection = ["host": "cache.internal"]
    }
    var job: [String: Any] = ["engine": engine, "connection": connection]
    for (key, value) in extra { job[key] = value }
    return job
}

/// Healthy tools, except that the dump tool `tool` prints `output`.
private func dumping(_ tool: String, _ output: [UInt8]) -> @Sendable (ProcessSpec) -> RecordingLauncher.Reply {
    let healthy = healthyTools()
    return { spec in
        let isDump = spec.argv[0] == tool && !spec.argv.contains("--version") && !spec.argv.contains("INFO")
        return isDump ? RecordingLauncher.Reply(bytes: output) : healthy(spec)
    }
}

@Suite("Backup runner: dump format checks and suspicious shrinkage", .ownThreads)
struct DumpCheckRunnerTests {
    /// A dump tool that exits 0 with nothing or the wrong format fails the run with the precise
    /// reason; its upload is aborted, nothing (no object, no manifest) is stored.
    @Test(arguments: [
        ("postgres", "pg_dump", [UInt8](), "pg_dump exited 0 but wrote nothing (expected a PGDMP header)"),
        ("postgres", "pg_dump", Array("-- PostgreSQL database dump\n".utf8), "pg_dump exited 0 but wrote no PGDMP header"),
        ("mysql", "mariadb-dump", Array("CREATE TABLE t (x int);\n".utf8), "mariadb-dump exited 0 but its output lacks the \"-- Dump completed\" trailer"),
        ("redis", "redis-cli", Array("ERR\n".utf8), "redis-cli exited 0 but wrote no RDB file"),
        ("mongodb", "mongodump", Array("{}".utf8), "mongodump exited 0 but its output lacks the mongodump archive magic"),
    ] as [(String, String, [UInt8], String)])
    func badDumpFailsAndAborts(engine: String, tool: String, output: [UInt8], reason: String) async throws {
        let store = MemoryObjectStore()
        let launcher = RecordingLauncher(installed: tools, reply: dumping(tool, output))
        let outcome = try await runJob(try pipelineConfig(job(engine)), store: store, launcher: launcher)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job job1: \(reason)") == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains("no manifest written") == true)
        #expect(store.keys.isEmpty)
        #expect(store.abortedKeys.count == 1)
        await #expect(try store.openUploads(prefix: "").isEmpty)
    }

    /// pg_dumpall's globals must end with its completion line, or the run fails before any manifest.
    @Test func globalsWithoutTrailerFail() async throws {
        let store = MemoryObjectStore()
        let launcher = RecordingLauncher(installed: tools, reply: dumping("pg_dumpall", Array("CREATE ROLE x;\n".utf8)))
        var pg = job("postgres")
        pg["connection"] = ["host": "db.internal", "username": "backup", "database": "app", "globals": true]
        let outcome = try await runJob(try pipelineConfig(pg), store: store, launcher: launcher)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("pg_dumpall exited 0 but its output lacks the \"\(DumpCheck.pgDumpallTrailer)\" trailer") == true)
        #expect(store.keys.isEmpty, "the pg_dump object of the failed run was left: \(store.keys)")
        #expect(outcome.error?.contains("stored by an earlier step, was deleted") == true, "\(outcome.error ?? "")")
    }

    /// A command job's empty output fails; with `"allowEmpty": true` it is a backup.
    @Test func emptyCommandOutput() async throws {
        let store = MemoryObjectStore()
        let failed = try await runJob(try shellJob("true"), store: store)
        #expect(failed.status == .failed)
        #expect(failed.error?.hasPrefix("job job1: sh exited 0 but wrote nothing") == true, "\(failed.error ?? "")")
        #expect(store.keys.isEmpty)
        let allowed = try pipelineConfig(["engine": "command", "allowEmpty": true, "connection": ["argv": ["sh", "-c", "true"], "extension": "tar"]])
        let outcome = try await runJob(allowed, store: store)
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(store.keys.contains(manifestKey))
    }

    /// An encrypted job's bad dump fails the same way (the check reads the bytes before age):
    /// age is stopped, the upload aborted, nothing stored.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/age"), "age is not installed"))
    func encryptedEmptyDumpFails() async throws {
        let store = MemoryObjectStore()
        let config = try pipelineConfig([
            "engine": "command", "encryption": ["ageRecipients": ["age1ptrgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrql"]],
            "connection": ["argv": ["sh", "-c", "true"], "extension": "tar"],
        ])
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job job1: sh exited 0 but wrote nothing") == true, "\(outcome.error ?? "")")
        #expect(store.keys.isEmpty)
        await #expect(try store.openUploads(prefix: "").isEmpty)
    }

    /// A dump far below the median of its peers is stored, and its manifest and outcome say why.
    @Test func suspiciousIsStoredAndMarked() async throws {
        let store = MemoryObjectStore()
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let config = try shellJob("printf tiny")
        let runner = BackupRunner(
            stores: store, launcher: PosixProcessLauncher(), clock: FixedClock(time: pipelineStart), environment: testEnvironment,
            secretsParent: tmp.path, host: "testhost", makeToken: { testToken }, recentDumpSizes: { _ in [4000, 5000, 4500] })
        let outcome = await runner.execute(
            job: config.jobs[0], config: config, startedAt: pipelineStart, progress: { _ in },
            logger: Logger(label: "test"))
        #expect(outcome.status == .succeeded)
        #expect(outcome.suspicious == "the dump is 4 bytes, below 10% of the median 4500 bytes of the last 3 good backups")
        let manifest = try BackupManifest.parse(try await store.read(key: manifestKey), key: manifestKey)
        #expect(manifest.suspicious == outcome.suspicious)

        // The same dump with the check off, or against peers of its size, is not suspicious.
        var off = config
        off.jobs[0].suspiciousBelow = nil
        let again = BackupRunner(
            stores: MemoryObjectStore(), launcher: PosixProcessLauncher(), clock: FixedClock(time: pipelineStart), environment: testEnvironment,
            secretsParent: tmp.path, recentDumpSizes: { _ in [4000] })
        await #expect(again.execute(
            job: off.jobs[0], config: off, startedAt: pipelineStart, progress: { _ in }, logger: Logger(label: "t")
        ).suspicious == nil)
    }

    /// `allowEmpty` and `suspiciousBelow` are validated with the key's path and what is valid.
    @Test func configKeys() throws {
        let allowed = try pipelineConfig(["engine": "command", "allowEmpty": true, "suspiciousBelow": 0.25, "connection": ["argv": ["true"]]])
        #expect(allowed.jobs[0].allowEmpty && allowed.jobs[0].suspiciousBelow == 0.25)
        let off = try pipelineConfig(["engine": "command", "suspiciousBelow": false, "connection": ["argv": ["true"]]])
        #expect(off.jobs[0].suspiciousBelow == nil && !off.jobs[0].allowEmpty)
        #expect(try pipelineConfig(job("postgres")).jobs[0].suspiciousBelow == 0.1)
        for (key, value, message) in [
            ("suspiciousBelow", 1 as Any, "1 is not valid; expected a fraction of the recent median between 0 and 1 (exclusive)"),
            ("suspiciousBelow", 0 as Any, "0 is not valid; expected a fraction"),
            ("suspiciousBelow", true as Any, "or false to turn the check off, found"),
            ("suspiciousBelow", "10%" as Any, "found a string"),
            ("allowEmpty", "yes" as Any, "expected true or false"),
        ] as [(String, Any, String)] {
            let found = problems(configText { root in editJob(&root) { $0[key] = value } })
            #expect(found.contains { $0.path.hasSuffix(key) && $0.message.contains(message) }, "\(key)=\(value): \(found)")
        }
        let postgres = problems(configText { root in editJob(&root) { $0["allowEmpty"] = true } })
        #expect(postgres.contains { $0.path.hasSuffix("allowEmpty") && $0.message.contains("only a \"command\" job may allow an empty dump") })
    }
}

@Suite("Backup runner: a failed dump check at every destination", .ownThreads)
struct DumpCheckFanOutTests {
    /// A postgres job uploaded to "local" and "archive" whose fake pg_dump writes 3 MB without the
    /// PGDMP header: parts are already uploaded when the check fails at the end, and both
    /// destinations' uploads are aborted, nothing stored, nothing left open.
    @Test func wrongHeaderAbortsEveryDestination() async throws {
        let text = configText { root in
            addArchiveDestination(&root)
            editJob(&root) { job in
                job["name"] = "job1"
                job["destinations"] = ["local", "archive"]
                job["destination"] = nil
                job["compression"] = "none"
            }
        }
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        let local = MemoryObjectStore(partSize: 1 << 20)
        let archive = MemoryObjectStore(partSize: 1 << 20)
        let launcher = RecordingLauncher(installed: tools, reply: dumping("pg_dump", [UInt8](repeating: UInt8(ascii: "x"), count: 3_000_000)))
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let outcome = await BackupRunner(
            stores: StoresByName(stores: ["local": local, "archive": archive]), launcher: launcher, clock: FixedClock(time: pipelineStart),
            environment: testEnvironment, secretsParent: tmp.path, makeToken: { testToken }
        ).execute(
            job: config.jobs[0], config: config, startedAt: pipelineStart, progress: { _ in },
            logger: Logger(label: "test"))
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job job1: pg_dump exited 0 but wrote no PGDMP header (its 3000000 bytes begin with \"xxxx") == true, "\(outcome.error ?? "")")
        for store in [local, archive] {
            #expect(store.keys.isEmpty)
            #expect(store.abortedKeys.count == 1)
            await #expect(try store.openUploads(prefix: "").isEmpty)
        }
    }
}
