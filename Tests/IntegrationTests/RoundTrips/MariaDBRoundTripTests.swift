import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// What must be equal between the original and the restored MariaDB database.
func mariadbFingerprint(_ server: MariaDBTestServer, database: String) throws -> String {
    try server.mariadb("""
        SET NAMES utf8mb4;
        CHECKSUM TABLE people, big EXTENDED;
        SELECT COUNT(*) FROM big;
        SELECT GROUP_CONCAT(CONCAT_WS(':', id, name, IFNULL(note, 'NULL')) ORDER BY id SEPARATOR '|') FROM people;
        SELECT GROUP_CONCAT(name ORDER BY id SEPARATOR '|') FROM people_names;
        SELECT greet('wörld');
        SELECT COUNT(*) FROM audit;
        """, database: database)
        .split(separator: "\n").map { line in
            // CHECKSUM TABLE prints the database name first.
            line.hasPrefix(database + ".") ? String(line.dropFirst(database.count)) : String(line)
        }.joined(separator: "\n")
}

@Suite("MariaDB round trip", .serialized, .ownThreads)
struct MariaDBRoundTripTests {
    /// A database with 4-byte unicode, a 100 MB+ table, a view, a function and a trigger is backed
    /// up and restored into a fresh database with identical checksums.
    @Test func roundTrip() async throws {
        let server = try TestServers.mariadb()
        let source = try server.createDatabase(prefix: "src")
        let target = try server.createDatabase(prefix: "dst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        _ = try server.mariadb("""
            SET NAMES utf8mb4;
            CREATE TABLE people (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, note TEXT) CHARACTER SET utf8mb4;
            INSERT INTO people (name, note) VALUES
              ('Zoë Ørsted', '日本語のテキスト'), ('Ἀλέξανδρος', 'emoji 🎉🚀 and "quotes" and \\\\ backslash'),
              ('Дмитрий', 'tab\\tnewline\\nend'), ('null note', NULL);
            CREATE TABLE big (id BIGINT PRIMARY KEY, payload CHAR(128) NOT NULL, blobby VARBINARY(16));
            INSERT INTO big SELECT seq, CONCAT(MD5(seq), MD5(seq * 7), MD5(seq * 13), MD5(seq * 17)), UNHEX(MD5(seq)) FROM seq_1_to_700000;
            CREATE VIEW people_names AS SELECT id, UPPER(name) AS name FROM people;
            CREATE FUNCTION greet(who VARCHAR(50)) RETURNS VARCHAR(100) DETERMINISTIC RETURN CONCAT('hello, ', who);
            CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100));
            CREATE TRIGGER people_audit AFTER INSERT ON people FOR EACH ROW INSERT INTO audit (what) VALUES (NEW.name);
            INSERT INTO people (name) VALUES ('after trigger');
            ANALYZE TABLE big;
            """, database: source)
        let size = try server.mariadb(
            "SELECT data_length FROM information_schema.tables WHERE table_schema = '\(source)' AND table_name = 'big'")
        #expect(Int(size.trimmingCharacters(in: .whitespacesAndNewlines))! > 100_000_000)

        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "my-\(source)", job: [
            "engine": "mysql", "compression": "gzip",
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let key = try #require(outcome.objectKey)
        #expect(key.hasSuffix(".sql.gz"))
        await #expect(try destination.store.head(key: key)?.metadata["engine"] == "mysql")

        let result = try await pipeline.restore(options: RestoreOptions(target: target))
        #expect(result.bytesRestored == outcome.bytesRead)
        #expect(try mariadbFingerprint(server, database: target) == mariadbFingerprint(server, database: source))
        // The trigger came back too: it fires in the restored database.
        _ = try server.mariadb("SET NAMES utf8mb4; INSERT INTO people (name) VALUES ('x')", database: target)
        #expect(try server.mariadb("SELECT what FROM audit ORDER BY id DESC LIMIT 1", database: target) == "x\n")
    }
}
