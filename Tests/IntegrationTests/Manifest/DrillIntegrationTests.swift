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

@Suite("restore drills", .serialized, .ownThreads)
struct DrillIntegrationTests {
    /// A PostgreSQL drill restores into a new scratch database, counts 2 tables and 1,003 rows,
    /// drops it, and records the result; an existing name is refused untouched.
    @Test func postgresDrill() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "drs")
        let existing = try server.createDatabase(prefix: "drx")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(existing)
        }
        let destination = try await TestDestination.make()
        let pipeline = try postgresPipeline(server, database: source, destination: destination, name: "drill-\(source)")
        await #expect(pipeline.backup().status == .succeeded)
        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = try HistoryStore(stateDirectory: state)
        let scratch = TestServers.uniqueName("scratch")
        let report = try await #require(try pipeline.verify(restoreTo: scratch, history: history).first)
        let drill = try #require(report.drill)
        #expect(report.passed, "\(report.allProblems)")
        #expect(drill.tables == 2 && drill.rows == 1003 && drill.dropped)
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname = '\(scratch)'", database: "postgres") == "0\n")
        let record = try #require(try history.verifications(job: pipeline.job.name).first)
        #expect(record.drillDatabase == scratch && record.drillTables == 2 && record.drillRows == 1003 && record.passed)

        _ = try server.psql("CREATE TABLE mine (x int); INSERT INTO mine VALUES (7);", database: existing)
        await #expect(throws: DrillError.exists(existing)) { try await pipeline.verify(restoreTo: existing) }
        #expect(try server.psql("SELECT x FROM mine", database: existing) == "7\n")
    }

    /// A MariaDB drill restores into a new scratch database, counts 2 tables and 502 rows (exact),
    /// and drops it; so does `backupd verify JOB --restore-to SCRATCH` (the real binary), which
    /// prints and records the counts, and refuses a name that exists (exit 1, its data kept).
    @Test func mariadbDrill() async throws {
        let server = try TestServers.mariadb()
        let source = try server.createDatabase(prefix: "drs")
        let existing = try server.createDatabase(prefix: "drx")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(existing)
        }
        let destination = try await TestDestination.make()
        let pipeline = try mariadbPipeline(server, database: source, destination: destination, name: "shop")
        await #expect(pipeline.backup().status == .succeeded)
        let scratch = TestServers.uniqueName("scratch")
        let report = try await #require(try pipeline.verify(restoreTo: scratch).first)
        let drill = try #require(report.drill)
        #expect(report.passed, "\(report.allProblems)")
        #expect(drill.tables == 2 && drill.rows == 502 && drill.dropped)
        #expect(try server.mariadb("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(scratch)'") == "0\n")

        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let cli = try CommandLineJob(state: state, destination: destination, pipeline: pipeline, connection: [
            "host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source,
        ])
        defer { cli.remove() }
        let again = TestServers.uniqueName("scratch")
        let printed = try cli.backupd(["verify", "shop", "--restore-to", again])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("drill restored into \(again): 2 tables, 502 rows in "), "\(printed.stdout)")
        #expect(printed.stdout.contains(", dropped"))
        #expect(try server.mariadb("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(again)'") == "0\n")
        let record = try #require(try HistoryStore(stateDirectory: state, readOnly: true).verifications(job: "shop").first)
        #expect(record.trigger == .verify && record.passed && record.drillDatabase == again && record.drillTables == 2 && record.drillRows == 502)

        _ = try server.mariadb("CREATE TABLE mine (x int); INSERT INTO mine VALUES (7);", database: existing)
        let refused = try cli.backupd(["verify", "shop", "--restore-to", existing])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a database named \(existing) already exists"), "\(refused.stderr)")
        #expect(try server.mariadb("SELECT x FROM mine", database: existing) == "7\n")
    }

    /// A drill whose restore fails (the backup's bytes were replaced) reports the failure, records
    /// it, and still drops the scratch database.
    @Test func failedDrillStillDrops() async throws {
        let s3 = try TestS3.environment()
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "drf")
        defer { try? server.dropDatabase(source) }
        let destination = try await TestDestination.make()
        let pipeline = try postgresPipeline(server, database: source, destination: destination, name: "drillf-\(source)")
        await #expect(pipeline.backup().status == .succeeded)
        let entry = try await #require(try pipeline.catalog.latest())
        let scratch = TestServers.uniqueName("scratch")
        let drill = try RestoreDrill(restorer: Restorer(stores: destination.provider, launcher: pipeline.launcher, environment: pipeline.environment), clock: SystemWallClock())
        try s3.rewrite(bucket: destination.bucket, key: try #require(entry.manifest?.primary?.key)) { $0.removeLast(50) }
        let result = try await drill.run(entry, job: pipeline.job, config: pipeline.config, scratch: scratch, logger: Logger(label: "t"))
        #expect(!result.passed && result.dropped)
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname = '\(scratch)'", database: "postgres") == "0\n")
    }
}
