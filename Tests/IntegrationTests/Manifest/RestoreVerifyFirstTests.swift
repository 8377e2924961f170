import BackupTestSupport
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

@Suite("restore --verify-first (the real binary, PostgreSQL)", .ownThreads)
struct RestoreVerifyFirstTests {
    /// `restore --verify-first` of a PostgreSQL backup with one flipped byte exits 1 before touching
    /// the target (its data stays), and records the failed check as a verification (trigger
    /// restore-verify-first) naming the object, which `list` shows; the intact older backup passes
    /// the check, is recorded as passed, and restores.
    @Test func verifyFirstIsRecordedAndLeavesTargetUntouched() async throws {
        let s3 = try TestS3.environment()
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "vfs")
        let target = try server.createDatabase(prefix: "vft")
        let fresh = try server.createDatabase(prefix: "vfn")
        defer {
            for database in [source, target, fresh] { try? server.dropDatabase(database) }
        }
        let destination = try await TestDestination.make()
        let pipeline = try postgresPipeline(server, database: source, destination: destination, name: "pg")
        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let cli = try CommandLineJob(state: state, destination: destination, pipeline: pipeline, connection: [
            "host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source,
        ])
        defer { cli.remove() }
        for _ in 0..<2 {
            let run = try cli.backupd(["run-now", "pg"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let entries = try await pipeline.catalog.entries()
        #expect(entries.count == 2)
        let newest = try #require(entries.first)
        let older = try #require(entries.last)
        let dump = try #require(newest.manifest?.primary)
        _ = try server.psql("CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me'); CREATE TABLE items (id int); INSERT INTO items VALUES (42);", database: target)
        let probe = "SELECT string_agg(v, ',') FROM precious; SELECT string_agg(id::text, ',') FROM items;"
        let before = try server.psql(probe, database: target)

        try s3.rewrite(bucket: destination.bucket, key: dump.key) { $0[$0.count / 2] ^= 0x01 }
        let found = try s3.cliDigest(bucket: destination.bucket, as: dump)
        let refused = try cli.backupd(["restore", "pg", "--verify-first", "--to", target, "--clean"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("backup \(newest.id) failed verification, the target was not touched"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(dump.key): SHA-256 expected \(dump.digest) (manifest), found \(found)"), "\(refused.stderr)")
        #expect(try server.psql(probe, database: target) == before)

        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        let failed = try #require(try history.verifications(job: "pg").first)
        #expect(failed.trigger == .restoreVerifyFirst && !failed.passed && failed.backupID == newest.id && failed.destination == "test")
        #expect(failed.error?.contains("\(dump.key): SHA-256 expected \(dump.digest) (manifest), found \(found)") == true)
        let list = try cli.backupd(["list", "pg"])
        let row = list.stdout.split(separator: "\n").first { $0.hasSuffix(newest.id) }
        #expect(row?.contains("FAILED ") == true, "\(list.stdout)")

        let restored = try cli.backupd(["restore", "pg", older.id, "--verify-first", "--to", fresh])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try server.psql("SELECT count(*) FROM items", database: fresh) == "1000\n")
        let records = try history.verifications(job: "pg")
        #expect(records.count == 2)
        #expect(records.first.map { $0.trigger == .restoreVerifyFirst && $0.passed && $0.backupID == older.id } == true)
    }
}
