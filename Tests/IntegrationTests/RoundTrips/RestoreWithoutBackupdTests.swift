import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Runs scripts/restore-without-backupd.sh (the README's recipe) on the fixture's bucket with only
/// the AWS CLI's variables and `extra` (the database's client variables) beyond PATH.
private func restoreByHand(_ fixture: BinaryJobFixture, target: String, extra: [String: String] = [:]) throws -> (status: Int32, stderr: String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("scripts/restore-without-backupd.sh").path
    var environment = ["PATH": Pipeline.defaultEnvironment["PATH"] ?? "/usr/bin:/bin", "HOME": fixture.state, "LC_ALL": "C.UTF-8"]
    for (key, value) in fixture.awsEnvironment { environment[key] = value }
    for (key, value) in extra { environment[key] = value }
    let process = try PosixProcessLauncher().launch(ProcessSpec(
        argv: ["bash", script, fixture.bucket, fixture.prefix, "job", fixture.state + "/work", target], environment: environment))
    var buffer = [UInt8](repeating: 0, count: 65536)
    while try buffer.withUnsafeMutableBytes({ try process.readOutput(into: $0) }) > 0 {}
    return (process.wait().statusCode, process.stderrTail())
}

@Suite("Restore without backupd: the README's recipe", .serialized, .ownThreads)
struct RestoreWithoutBackupdTests {
    /// PostgreSQL, encrypted with age and split into segments (one 5 MiB part per object): the
    /// script finds the newest of two backups, checks every segment's size and SHA-256 as stored,
    /// joins them, decrypts, decompresses and pg_restores into a new database; the rows match.
    @Test func postgresEncryptedSegmented() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "manual")
        let target = try server.createDatabase(prefix: "manualdst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        let key = try AgeKey.make()
        defer { key.remove() }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'old');", database: source)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "postgres", "encryption": ["ageRecipients": [key.recipient]],
                  "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "MANUAL_PG_PASSWORD"], "database": source]],
            destinationKeys: ["maxParts": 1], environment: ["MANUAL_PG_PASSWORD": server.password])
        defer { fixture.remove() }
        let first = try fixture.backupd(["run-now", "job"])
        try #require(first.status == 0, "\(first.stderr)")
        // Random bytes do not compress: about 8 MiB, more than one 5 MiB part.
        _ = try server.psql(
            "CREATE TABLE r (id int PRIMARY KEY, b bytea); INSERT INTO r SELECT g, decode(md5(random()::text) || md5(random()::text), 'hex') FROM generate_series(1, 250000) g; UPDATE t SET v = 'new';",
            database: source)
        try? await Task.sleep(for: .seconds(1.1))  // the next backup's name is a second later
        let second = try fixture.backupd(["run-now", "job"])
        try #require(second.status == 0, "\(second.stderr)")
        let manifests = try await fixture.destination.store.list(prefix: fixture.prefix + "/").filter { $0.key.hasSuffix(ObjectName.manifestSuffix) }
        #expect(manifests.count == 2)
        let newest = try #require(manifests.map(\.key).max())
        let manifest = try BackupManifest.parse(try await fixture.destination.store.read(key: newest), key: newest)
        #expect((manifest.primary?.segments?.count ?? 0) >= 2, "the recipe's join of segments is exercised")
        #expect(manifest.encryption?.scheme == "age")

        let restored = try restoreByHand(fixture, target: target, extra: [
            "PGHOST": server.host, "PGPORT": String(server.port), "PGUSER": server.user, "PGPASSWORD": server.password, "AGE_IDENTITY": key.identity,
        ])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stderr.contains("restored \(manifest.backupId) into \(target)"))
        let digest = "SELECT (SELECT v FROM t), count(*), md5(string_agg(encode(b, 'hex'), '' ORDER BY id)) FROM r"
        #expect(try server.psql(digest, database: target) == server.psql(digest, database: source))
        #expect(try server.psql("SELECT v FROM t", database: target) == "new\n")

        // Without the identity the recipe stops before touching the database.
        let other = try server.createDatabase(prefix: "manualno")
        defer { try? server.dropDatabase(other) }
        let refused = try restoreByHand(fixture, target: other, extra: ["PGHOST": server.host, "PGPORT": String(server.port), "PGUSER": server.user, "PGPASSWORD": server.password])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("set AGE_IDENTITY"))
    }

    /// A stored object changed in the bucket fails the recipe's SHA-256 check, naming the object,
    /// and nothing is restored.
    @Test func corruptedObjectIsRefused() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "manualc")
        let target = try server.createDatabase(prefix: "manualcdst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);", database: source)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "postgres", "compression": "gzip",
                  "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "MANUAL_PG_PASSWORD"], "database": source]],
            environment: ["MANUAL_PG_PASSWORD": server.password])
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "job"])
        try #require(run.status == 0, "\(run.stderr)")
        let object = try await #require(try fixture.onlyManifest().primary)
        var bytes = try await fixture.destination.store.read(key: object.key)
        bytes[bytes.count / 2] ^= 0xff  // same size, other bytes
        let replaced = try fixture.s3.aws(["s3api", "put-object", "--bucket", fixture.bucket, "--key", object.key, "--body", try writeTemp(bytes, in: fixture.state)])
        try #require(replaced.status == 0, "\(replaced.error)")

        let restored = try restoreByHand(fixture, target: target, extra: ["PGHOST": server.host, "PGPORT": String(server.port), "PGUSER": server.user, "PGPASSWORD": server.password])
        #expect(restored.status != 0)
        // Format 2: the recipe checks each part's SHA-256 and names the part that differs.
        #expect(restored.stderr.contains("\(object.key): part 1 (bytes 0-\(bytes.count - 1)) differs from the manifest"), "\(restored.stderr)")
        #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: target) == "0\n")
    }

    /// MariaDB, gzip: the SQL goes through the mariadb client into another database; rows match.
    @Test func mariadbGzip() async throws {
        let server = try TestServers.mariadb()
        let source = try server.createDatabase(prefix: "manual")
        let target = try server.createDatabase(prefix: "manualdst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        _ = try server.mariadb("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40)); INSERT INTO t SELECT seq, CONCAT('värde ', seq) FROM seq_1_to_2000;", database: source)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "mysql", "compression": "gzip",
                  "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "MANUAL_MY_PASSWORD"], "database": source]],
            environment: ["MANUAL_MY_PASSWORD": server.password])
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "job"])
        try #require(run.status == 0, "\(run.stderr)")
        await #expect(try fixture.onlyManifest().compression == "gzip")
        let options = fixture.state + "/client.cnf"
        try "[client]\nhost=\(server.host)\nport=\(server.port)\nuser=\(server.user)\npassword=\(server.password)\nprotocol=TCP\n"
            .write(toFile: options, atomically: true, encoding: .utf8)
        chmod(options, 0o600)
        let restored = try restoreByHand(fixture, target: target, extra: ["MYSQL_DEFAULTS_FILE": options])
        #expect(restored.status == 0, "\(restored.stderr)")
        let digest = "SELECT COUNT(*), MD5(GROUP_CONCAT(v ORDER BY id)) FROM t"
        #expect(try server.mariadb(digest, database: target) == server.mariadb(digest, database: source))
    }

    /// Redis, zstd: the recipe writes the RDB file, which a fresh redis-server loads with the same keys.
    @Test func redisRDB() async throws {
        let server = try TestServers.redis()
        let db = try server.allocateDatabase()
        _ = try server.redisCLI(["FLUSHDB"], database: db)
        _ = try server.redisCLI(["SET", "greeting", "héllo"], database: db)
        _ = try server.redisCLI(["RPUSH", "queue", "a", "b", "c"], database: db)
        _ = try server.redisCLI(["HSET", "user:1", "name", "Zoë"], database: db)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "redis", "connection": ["host": server.host, "port": server.port, "password": ["env": "MANUAL_REDIS_PASSWORD"]]],
            environment: ["MANUAL_REDIS_PASSWORD": server.password])
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "job"])
        try #require(run.status == 0, "\(run.stderr)")
        let rdb = fixture.state + "/restored.rdb"
        let restored = try restoreByHand(fixture, target: rdb)
        #expect(restored.status == 0, "\(restored.stderr)")
        let fresh = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["redis-server", "--port", "0", "--unixsocket", fixture.state + "/redis.sock", "--dir", fixture.state, "--dbfilename", "restored.rdb",
                   "--appendonly", "no", "--save", "", "--databases", "64", "--daemonize", "no"],
            environment: Pipeline.defaultEnvironment, captureOutput: false))
        defer {
            fresh.kill()
            _ = fresh.wait()
        }
        let client = ClientTool(name: "redis-cli")
        var loaded = false
        for _ in 0..<100 {
            if (try? client.run(["-s", fixture.state + "/redis.sock", "PING"], environment: [:])) == "PONG\n" {
                loaded = true
                break
            }
            usleep(50_000)
        }
        try #require(loaded)
        for key in ["greeting", "queue", "user:1"] {
            let original = try server.redisCLI(["DUMP", key], database: db)
            let restored = try client.run(["-s", fixture.state + "/redis.sock", "-n", String(db), "DUMP", key], environment: [:])
            #expect(!original.isEmpty && original == restored, "key \(key)")
        }
    }
}

/// Writes `bytes` to a new file under `directory` and returns its path.
private func writeTemp(_ bytes: [UInt8], in directory: String) throws -> String {
    let path = directory + "/upload-\(UUID().uuidString)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("Restore without backupd: the README quotes the script", .ownThreads)
struct RestoreRecipeQuoteTests {
    /// The README's walkthrough is the tested script, line for line (all but its `#!` line).
    @Test func readmeQuotesTheScript() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try String(contentsOf: root.appendingPathComponent("scripts/restore-without-backupd.sh"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let body = script.drop { $0 != "\n" }.dropFirst()
        #expect(body.hasPrefix("# Restores"))
        #expect(readme.contains("```sh\n" + body + "```\n"))
    }
}
