import Foundation
import Glibc
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The engines' own size estimates, which size equal parts when a job has no history yet.
@Suite("Engine size estimates", .ownThreads)
struct EngineSizeEstimateTests {
    /// A job of `engine` with `connection`, through the integration config's validation (its
    /// destination is never written to, so no bucket is made).
    func job(_ engine: String, _ connection: [String: Any]) throws -> JobConfig {
        let s3 = try TestS3.environment()
        let provider = S3StoreProvider(logger: Logger(label: "it.est"))
        let destination = TestDestination(
            provider: provider, store: try provider.store(for: s3.destination(bucket: "unused")),
            json: ["name": "test", "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": "unused",
                   "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "pathStyle": true])
        return try IntegrationConfig.make(destination: destination, name: "est", job: ["engine": engine, "connection": connection]).jobs[0]
    }

    /// The estimate of `job` through the live tools, with the argv they were started with.
    func estimate(_ job: JobConfig, timeout: Duration = EngineContext.estimateTimeout) throws -> (bytes: Int64?, argv: [String]) {
        let launcher = RecordingProcessLauncher()
        let secrets = try SecretDirectory(parent: nil)
        defer { secrets.remove() }
        let context = EngineContext(
            job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: Pipeline.defaultEnvironment))
        let bytes = try EngineDrivers.driver(for: job).estimatedSize(context, timeout: timeout)
        return (bytes, launcher.specs.flatMap(\.argv))
    }

    /// Expects `job`'s estimate in `bounds` (bytes), with `password` on no tool's argv.
    func expectEstimate(_ job: JobConfig, in bounds: Range<Int64>, password: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (bytes, argv) = try estimate(job)
        let size = try #require(bytes, sourceLocation: sourceLocation)
        #expect(bounds.contains(size), "estimate \(size) outside \(bounds)", sourceLocation: sourceLocation)
        #expect(!argv.contains { $0.contains(password) }, sourceLocation: sourceLocation)
    }

    /// PostgreSQL's estimate (`pg_database_size`) covers a table of known size, stays plausible,
    /// and the password never reaches argv.
    @Test func postgresEstimateCoversItsData() throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "est")
        defer { try? server.dropDatabase(database) }
        try seedPostgres(server, database: database, bigRows: 50_000)
        let table = Int64(try server.psql("SELECT pg_total_relation_size('big')", database: database).trimmingCharacters(in: .whitespacesAndNewlines))!
        let job = try job("postgres", [
            "host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database,
        ])
        // At least the table, and not implausibly more than it.
        try expectEstimate(job, in: table..<(table + (256 << 20)), password: server.password)
    }

    /// MariaDB's estimate (information_schema's data and index lengths) covers the rows written.
    @Test func mariadbEstimateCoversItsData() throws {
        let server = try TestServers.mariadb()
        let database = try server.createDatabase(prefix: "est")
        defer { try? server.dropDatabase(database) }
        _ = try server.mariadb("""
            CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(200) NOT NULL) ENGINE=InnoDB;
            INSERT INTO big SELECT seq, CONCAT(MD5(seq), MD5(seq * 7), MD5(seq * 13)) FROM seq_1_to_40000;
            ANALYZE TABLE big;
            """, database: database)
        let job = try job("mysql", [
            "host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database,
        ])
        // 40,000 rows of 96 characters: about 3.8 MB of payload.
        try expectEstimate(job, in: 3_000_000..<(256 << 20), password: server.password)
    }

    /// Redis's estimate (the dataset's memory) covers the values written into a database of ours.
    @Test func redisEstimateCoversItsData() throws {
        let server = try TestServers.redis()
        let database = try server.allocateDatabase()
        defer { _ = try? server.redisCLI(["FLUSHDB"], database: database) }
        _ = try server.redisCLI([
            "EVAL", "for i = 1, 4000 do redis.call('SET', KEYS[1] .. i, string.rep('v', 1000)) end return 1", "1", "est:",
        ], database: database)
        let job = try job("redis", ["host": server.host, "port": server.port, "password": server.password])
        try expectEstimate(job, in: 4_000_000..<(4 << 30), password: server.password)
    }

    /// A server that accepts the connection and never answers is given up on at the estimate's
    /// timeout, with the error naming the tool.
    @Test func estimateOfAStalledServerTimesOut() throws {
        let listener = try LoopbackSocket.listen(what: "a server that never answers")
        defer { close(listener.fd) }
        let job = try job("postgres", [
            "host": "127.0.0.1", "port": listener.port, "username": "u", "password": "estimate-secret", "database": "d",
        ])
        let started = Date()
        #expect {
            _ = try estimate(job, timeout: .seconds(1))
        } throws: { error in
            guard case EngineError.checkTimedOut(_, let tool, _) = error else { return false }
            return tool == "psql"
        }
        #expect(Date().timeIntervalSince(started) < 12)
    }

    /// On an equal-parts provider allowing 3 parts, a PostgreSQL dump larger than 3 × `partSizeMiB`
    /// lands in one object: the engine's estimate (no history, no `expectedSize`) fixed larger parts.
    @Test func estimateSizesEqualPartsOfARealBackup() async throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "estpg")
        defer { try? server.dropDatabase(database) }
        try seedPostgres(server, database: database, bigRows: 260_000)
        let s3 = try TestS3.environment()
        let proxy = try ProviderRulesProxy(upstream: s3.endpoint, maxParts: 3)
        defer { proxy.stop() }
        let base = try await TestDestination.make()
        var json = base.json
        json["endpoint"] = proxy.endpoint.absoluteString
        json["provider"] = "mega"
        json["maxParts"] = 3
        let destination = TestDestination(provider: base.provider, store: base.store, json: json)
        let pipeline = try Pipeline(destination: destination, name: "estpg", job: [
            "engine": "postgres", "compression": "none",
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": database],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let stored = try #require(outcome.bytesStored)
        #expect(stored > 15 << 20, "the dump (\(stored) bytes) must not fit 3 parts of 5 MiB")
        let key = try #require(outcome.objectKey)
        let objects = try await base.store.list(prefix: "it/estpg/").map(\.key).filter { !$0.hasSuffix(ObjectName.manifestSuffix) }
        #expect(objects == [key], "\(objects)")
        #expect(try proxy.refusals().isEmpty)
        await #expect(try base.store.openUploads(prefix: "it/estpg/").isEmpty)
    }

    /// A failing estimate (nothing listens on the port) does not fail anything: no size, one info
    /// line naming the failure without the password; growing providers never ask the engine.
    @Test func failedEstimateFallsBackAndIsLogged() async throws {
        let listener = try LoopbackSocket.listen(what: "a port to close")
        close(listener.fd)
        let job = try job("postgres", [
            "host": "127.0.0.1", "port": listener.port, "username": "u", "password": "estimate-secret", "database": "d",
        ])
        let launcher = RecordingProcessLauncher()
        let secrets = try SecretDirectory(parent: nil)
        defer { secrets.remove() }
        let context = EngineContext(
            job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: Pipeline.defaultEnvironment))
        let runner = BackupRunner(stores: S3StoreProvider(logger: Logger(label: "it.est")), launcher: launcher, clock: SystemWallClock(), environment: Pipeline.defaultEnvironment)
        var equal = try TestS3.environment().destination(bucket: "unused")
        equal.provider = .r2
        let (logger, lines) = CapturingLogHandler.logger()
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: job))
        let size = await runner.expectedSize(job: job, destinations: [equal], driver: EngineDrivers.driver(for: job), context: context, redactor: redactor, logger: logger)
        #expect(size == nil)
        #expect(lines.all.contains { $0.hasPrefix("info size estimate failed") && $0.contains("cannot connect to 127.0.0.1:\(listener.port)") }, "\(lines.text)")
        #expect(!lines.text.contains("estimate-secret"))
        #expect(launcher.specs.count == 1)

        equal.provider = .generic
        await #expect(runner.expectedSize(job: job, destinations: [equal], driver: EngineDrivers.driver(for: job), context: context, redactor: redactor, logger: logger) == nil)
        #expect(launcher.specs.count == 1, "a growing provider asked the engine")
    }
}
