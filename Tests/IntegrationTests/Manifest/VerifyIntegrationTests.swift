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

/// A PostgreSQL source database with two tables (1,000 and 3 rows) for a job; returns the pipeline.
func postgresPipeline(_ server: PostgresTestServer, database: String, destination: TestDestination, name: String) throws -> Pipeline {
    _ = try server.psql("""
        CREATE TABLE items (id int PRIMARY KEY, label text);
        INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
        CREATE TABLE tags (name text);
        INSERT INTO tags VALUES ('a'), ('b'), ('c');
        """, database: database)
    return try Pipeline(destination: destination, name: name, job: [
        "engine": "postgres",
        "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database],
    ])
}

/// A MariaDB source database with two tables (500 and 2 rows).
func mariadbPipeline(_ server: MariaDBTestServer, database: String, destination: TestDestination, name: String) throws -> Pipeline {
    _ = try server.mariadb("""
        CREATE TABLE items (id int PRIMARY KEY, label varchar(40));
        INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_500;
        CREATE TABLE tags (name varchar(10));
        INSERT INTO tags VALUES ('a'), ('b');
        """, database: database)
    return try Pipeline(destination: destination, name: name, job: [
        "engine": "mysql",
        "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database],
    ])
}

@Suite("verify on radosgw with the real engines", .serialized, .ownThreads)
struct VerifyIntegrationTests {
    /// Intact backups of every engine pass: digest, compression layer, and the engine's own format
    /// check (pg_restore --list, the dump trailer, redis-check-rdb, digest only for commands);
    /// each verification is recorded in the history.
    @Test func verifyPassesForEveryEngine() async throws {
        let destination = try await TestDestination.make()
        let pg = try TestServers.postgres()
        let pgDatabase = try pg.createDatabase(prefix: "vfy")
        let maria = try TestServers.mariadb()
        let mariaDatabase = try maria.createDatabase(prefix: "vfy")
        defer {
            try? pg.dropDatabase(pgDatabase)
            try? maria.dropDatabase(mariaDatabase)
        }
        let redis = try TestServers.redis()
        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = try HistoryStore(stateDirectory: state)
        let pipelines: [(Pipeline, String)] = [
            (try postgresPipeline(pg, database: pgDatabase, destination: destination, name: "v-pg-\(pgDatabase)"), "pg_restore --list"),
            (try mariadbPipeline(maria, database: mariaDatabase, destination: destination, name: "v-my-\(mariaDatabase)"), "trailer \"-- Dump completed\""),
            (try Pipeline(destination: destination, name: "v-redis-\(TestServers.uniqueName())", job: [
                "engine": "redis", "compression": "gzip", "connection": ["host": redis.host, "port": redis.port, "password": redis.password],
            ]), "redis-check-rdb /dev/stdin"),
            (try Pipeline(destination: destination, name: "v-cmd-\(TestServers.uniqueName())", job: [
                "engine": "command", "compression": "none", "connection": ["argv": ["head", "-c", "300000", "/dev/urandom"], "extension": "bin"],
            ]), "digest only"),
        ]
        for (pipeline, format) in pipelines {
            let outcome = await pipeline.backup()
            #expect(outcome.status == .succeeded, "\(pipeline.job.name): \(outcome.error ?? "")")
            let reports = try await pipeline.verify(history: history)
            #expect(reports.count == 1)
            #expect(reports[0].passed, "\(pipeline.job.name): \(reports[0].allProblems)")
            #expect(reports[0].objects.first?.format == format)
            let recorded = try history.verifications(job: pipeline.job.name)
            #expect(recorded.count == 1 && recorded[0].passed && recorded[0].trigger == .verify)
        }
    }

    /// For every engine (PostgreSQL, MariaDB, Redis with gzip, a command): one flipped byte in a
    /// data object (rewritten by the AWS CLI) fails verification naming the object, the manifest's
    /// digest and the one found, and breaks the compression layer; a truncated object fails on its
    /// size; a deleted manifest makes the backup incomplete.
    @Test(arguments: VerifiedEngine.allCases)
    func verifyFailsClearly(engine: VerifiedEngine) async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let (pipeline, cleanUp) = try engine.pipeline(destination: destination)
        defer { cleanUp() }
        let start = Date()
        for offset in 0..<3 {
            let outcome = await pipeline.backup(startedAt: start + Double(offset))
            #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        }
        let entries = try await pipeline.catalog.entries()
        #expect(entries.count == 3)
        let flipped = try #require(entries[0].manifest?.primary)
        let truncated = try #require(entries[1].manifest?.primary)
        var cut = 0
        try s3.rewrite(bucket: destination.bucket, key: flipped.key) { $0[$0.count / 3] ^= 0x10 }
        try s3.rewrite(bucket: destination.bucket, key: truncated.key) { bytes in
            cut = min(1000, bytes.count / 4)
            bytes.removeLast(cut)
        }
        try await destination.store.delete(keys: [try #require(entries[2].manifestKey)])

        let found = try s3.cliDigest(bucket: destination.bucket, as: flipped)
        let first = try await pipeline.verify(.backup(entries[0].id))[0]
        #expect(!first.passed)
        #expect(first.allProblems.contains("\(flipped.key): SHA-256 expected \(flipped.digest) (manifest), found \(found)"), "\(first.allProblems)")
        #expect(first.allProblems.contains { $0.hasPrefix("\(flipped.key): compression layer (\(engine.layer)) failed") }, "\(first.allProblems)")

        let second = try await pipeline.verify(.backup(entries[1].id))[0]
        #expect(!second.passed)
        #expect(second.allProblems.contains("\(truncated.key): size expected \(truncated.size) bytes (manifest), found \(truncated.size - Int64(cut)) bytes"), "\(second.allProblems)")

        let third = try await pipeline.verify(.backup(entries[2].id))[0]
        #expect(!third.passed)
        #expect(third.allProblems.first?.contains("backup \(entries[2].id) is incomplete: no manifest") == true, "\(third.allProblems)")

        let all = try await pipeline.verify(.all)
        #expect(all.count == 3 && all.allSatisfy { !$0.passed })
    }

    /// Restoring a corrupted PostgreSQL backup into a database that has data fails loudly and
    /// leaves the data as it was: a flipped byte (the zstd stream breaks), and another backup's
    /// valid bytes in its place (the digest differs; pg_restore never sees the end of its input).
    @Test func corruptPostgresRestoreLeavesDataUntouched() async throws {
        let s3 = try TestS3.environment()
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "crs")
        let target = try server.createDatabase(prefix: "crt")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        let destination = try await TestDestination.make()
        let pipeline = try postgresPipeline(server, database: source, destination: destination, name: "corrupt-\(source)")
        let start = Date()
        await #expect(pipeline.backup(startedAt: start).status == .succeeded)
        _ = try server.psql("INSERT INTO tags VALUES ('only in the second backup');", database: source)
        await #expect(pipeline.backup(startedAt: start + 1).status == .succeeded)
        let entries = try await pipeline.catalog.entries()
        let newest = try #require(entries[0].manifest?.primary)
        let older = try #require(entries[1].manifest?.primary)
        _ = try server.psql("CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me'); CREATE TABLE tags (name text); INSERT INTO tags VALUES ('mine');", database: target)
        let before = try server.psql("SELECT string_agg(v, ',') FROM precious; SELECT string_agg(name, ',') FROM tags;", database: target)

        try s3.rewrite(bucket: destination.bucket, key: newest.key) { $0[$0.count / 2] ^= 0x01 }
        await #expect(throws: (any Error).self) { try await pipeline.restore(options: RestoreOptions(target: target, clean: true)) }
        #expect(try server.psql("SELECT string_agg(v, ',') FROM precious; SELECT string_agg(name, ',') FROM tags;", database: target) == before)

        // Valid custom-format bytes that are not this backup's.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bd-older-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try s3.aws(["s3", "cp", "s3://\(destination.bucket)/\(older.key)", file]).status == 0)
        #expect(try s3.aws(["s3", "cp", file, "s3://\(destination.bucket)/\(newest.key)"]).status == 0)
        let error = try await #require(throws: RestoreError.self) { try await pipeline.restore(options: RestoreOptions(target: target, clean: true)) }
        guard case .digestMismatch(_, let key, _, _) = error else {
            Issue.record("expected a digest mismatch, got \(error)")
            return
        }
        #expect(key == newest.key)
        #expect(try server.psql("SELECT string_agg(v, ',') FROM precious; SELECT string_agg(name, ',') FROM tags;", database: target) == before)

        // --verify-first refuses before touching the target; the intact older backup restores.
        await #expect(throws: RestoreError.self) { try await pipeline.restore(options: RestoreOptions(target: target, clean: true, verifyFirst: true)) }
        let restored = try await pipeline.restore(key: entries[1].id, options: RestoreOptions(target: target, clean: true, verifyFirst: true))
        #expect(restored.sha256 == older.digest)
        #expect(try server.psql("SELECT count(*) FROM items", database: target) == "1000\n")
    }
}
