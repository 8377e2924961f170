import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Redis round trip", .serialized, .ownThreads)
struct RedisRoundTripTests {
    /// Keys of every type are backed up as an RDB, written to a file by restore, loaded by a fresh
    /// redis-server, and compare equal key by key (DUMP of each key).
    @Test func roundTrip() async throws {
        let server = try TestServers.redis()
        let db = try server.allocateDatabase()
        _ = try server.redisCLI(["FLUSHDB"], database: db)
        _ = try server.redisCLI(["SET", "greeting", "héllo wörld 🎉"], database: db)
        _ = try server.redisCLI(["RPUSH", "queue", "a", "b", "c", "ü"], database: db)
        _ = try server.redisCLI(["HSET", "user:1", "name", "Zoë", "age", "42"], database: db)
        _ = try server.redisCLI(["SADD", "tags", "red", "green", "blue"], database: db)
        _ = try server.redisCLI(["ZADD", "scores", "1.5", "alice", "3", "bob"], database: db)
        _ = try server.redisCLI(["XADD", "events", "1-1", "kind", "created"], database: db)
        _ = try server.redisCLI(["SET", "counter", "12345"], database: db)
        let keys = ["greeting", "queue", "user:1", "tags", "scores", "events", "counter"]

        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "redis-\(db)-\(TestServers.uniqueName())", job: [
            "engine": "redis", "connection": ["host": server.host, "port": server.port, "password": server.password],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(outcome.objectKey?.hasSuffix(".rdb.zst") == true)

        let tmp = FileManager.default.temporaryDirectory.path + "/backupd-redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        await #expect(throws: EngineError.self) { _ = try await pipeline.restore(options: RestoreOptions()) }
        let result = try await pipeline.restore(options: RestoreOptions(target: tmp + "/dump.rdb"))
        #expect(result.bytesRestored == outcome.bytesRead)
        // An existing file is never overwritten.
        await #expect(throws: RestoreError.self) { _ = try await pipeline.restore(options: RestoreOptions(target: tmp + "/dump.rdb")) }

        // Started through backupd's launcher: Foundation's Process would pass on the signal mask of a
        // Dispatch thread (SIGTERM blocked), and the server would never stop.
        let fresh = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["redis-server", "--port", "0", "--unixsocket", tmp + "/redis.sock", "--dir", tmp, "--dbfilename", "dump.rdb",
                   "--appendonly", "no", "--save", "", "--databases", "64", "--daemonize", "no"],
            environment: Pipeline.defaultEnvironment, captureOutput: false))
        defer {
            fresh.kill()
            _ = fresh.wait()
        }
        let client = ClientTool(name: "redis-cli")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: tmp + "/redis.sock") { usleep(50_000) }
        var loaded = false
        for _ in 0..<100 {
            if (try? client.run(["-s", tmp + "/redis.sock", "PING"], environment: [:])) == "PONG\n" {
                loaded = true
                break
            }
            usleep(50_000)
        }
        #expect(loaded)
        for key in keys {
            // A set's serialisation follows its hash table's order, which a reload may change:
            // compare its members instead of its DUMP.
            let command = key == "tags" ? ["SMEMBERS", key] : ["DUMP", key]
            let original = try server.redisCLI(command, database: db)
            let restored = try client.run(["-s", tmp + "/redis.sock", "-n", String(db)] + command, environment: [:])
            let normalise = { (text: String) in key == "tags" ? text.split(separator: "\n").sorted().joined(separator: "\n") : text }
            #expect(!original.isEmpty && normalise(original) == normalise(restored), "key \(key)")
        }
        #expect(try client.run(["-s", tmp + "/redis.sock", "-n", String(db), "DBSIZE"], environment: [:]) == "\(keys.count)\n")
    }
}
