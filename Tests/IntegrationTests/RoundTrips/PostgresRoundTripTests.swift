import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Seeds `database` with unicode text, a 100 MB+ table, a view and a function.
func seedPostgres(_ server: PostgresTestServer, database: String, bigRows: Int = 750_000) throws {
    _ = try server.psql("""
        CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, note text);
        INSERT INTO people (name, note) VALUES
          ('Zoë Ørsted', '日本語のテキスト'), ('Ἀλέξανδρος', 'emoji 🎉🚀 and "quotes" and \\ backslash'),
          ('Дмитрий', E'tab\\tnewline\\nend'), ('null note', NULL);
        CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL);
        INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 17)::text)
          FROM generate_series(1, \(bigRows)) AS g;
        CREATE VIEW people_names AS SELECT id, upper(name) AS name FROM people;
        CREATE FUNCTION greet(who text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'hello, ' || who $$;
        """, database: database)
}

/// What must be equal between the original and the restored database.
func postgresFingerprint(_ server: PostgresTestServer, database: String) throws -> String {
    try server.psql("""
        SELECT count(*), sum(hashtext(b::text)::bigint) FROM big b;
        SELECT string_agg(p::text, '|' ORDER BY id) FROM people p;
        SELECT string_agg(v::text, '|' ORDER BY id) FROM people_names v;
        SELECT greet('wörld');
        SELECT pg_size_pretty(pg_total_relation_size('big'));
        """, database: database)
}

@Suite("PostgreSQL round trip", .serialized, .ownThreads)
struct PostgresRoundTripTests {
    /// A database with unicode, a 100 MB+ table, a view and a function is backed up through the
    /// pipeline and restored into a fresh database with identical contents and schema.
    @Test func roundTrip() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "src")
        let target = try server.createDatabase(prefix: "dst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        try seedPostgres(server, database: source)
        let size = try server.psql("SELECT pg_total_relation_size('big')", database: source)
        #expect(Int(size.trimmingCharacters(in: .whitespacesAndNewlines))! > 100_000_000)

        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "pg-\(source)", job: [
            "engine": "postgres",
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let key = try #require(outcome.objectKey)
        #expect(key.hasPrefix("it/pg-\(source)/pg-\(source)-") && key.hasSuffix(".dump.zst"))
        #expect(outcome.bytesRead! > outcome.bytesStored!)
        let head = try await #require(try destination.store.head(key: key))
        #expect(head.metadata["engine"] == "postgres")
        #expect(head.metadata["compression"] == "zstd")

        let result = try await pipeline.restore(options: RestoreOptions(target: target))
        #expect(result.key == key)
        #expect(result.bytesRestored == outcome.bytesRead)
        #expect(try postgresFingerprint(server, database: target) == postgresFingerprint(server, database: source))
        let schema = { (db: String) throws -> String in
            try ClientTool(name: "pg_dump", extraDirectories: PostgresTestServer.serverBinDirectories).run(
                ["--schema-only", "--no-owner", "-h", server.host, "-p", String(server.port), "-U", server.user, db],
                environment: server.clientEnvironment)
                // \restrict lines carry a random key per run.
                .split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
        }
        #expect(try schema(target) == schema(source))

        // --clean restores over existing objects.
        _ = try server.psql("DELETE FROM people WHERE id = 1; CREATE TABLE extra (x int);", database: target)
        _ = try await pipeline.restore(options: RestoreOptions(target: target, clean: true))
        #expect(try postgresFingerprint(server, database: target) == postgresFingerprint(server, database: source))
    }

    /// With "globals": true roles are saved as a second object, restorable with psql.
    @Test func globals() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "glob")
        defer { try? server.dropDatabase(source) }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "pgg-\(source)", job: [
            "engine": "postgres", "compression": "gzip",
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source, "globals": true],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let stored = try await destination.store.list(prefix: "it/pgg-\(source)/").map(\.key)
        // The dump, the globals and the backup's manifest.
        #expect(stored.count == 3 && stored.contains { $0.hasSuffix(".manifest.json") })
        let keys = stored.filter { !$0.hasSuffix(".manifest.json") }
        let globals = try #require(keys.first { $0.hasSuffix(".globals.sql.gz") })
        var bytes: [UInt8] = []
        let sink = CodecSink(codec: try Compression.gzip.makeDecompressor()) { bytes.append(contentsOf: $0) }
        try await destination.store.download(key: globals) { try sink.write($0) }
        try sink.finish()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("CREATE ROLE \(server.user)"))
        let restored = try await pipeline.restore(key: globals, options: RestoreOptions(target: "postgres"))
        #expect(restored.destination == "psql")
    }
}
