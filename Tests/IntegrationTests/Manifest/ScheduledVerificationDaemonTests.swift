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

/// A PostgreSQL job `pg` for the real `backupd run` daemon: one backup on a schedule that fires
/// once, a few seconds after the config is written (the dump and its globals), and a verify
/// schedule every five seconds (cron's leading seconds field), one fresh bucket per destination.
private struct ScheduledVerifySetup {
    let s3: TestS3
    let pg: PostgresTestServer
    let database: String
    let directory: String
    let configPath: String
    /// Bucket by destination name (`a`, `b`, ...).
    let buckets: [String: String]
    let prefix = "sv/pg"

    init(destinations: [String]) async throws {
        s3 = try TestS3.environment()
        pg = try TestServers.postgres()
        database = try pg.createDatabase(prefix: "svs")
        _ = try pg.psql("""
            CREATE TABLE items (id int PRIMARY KEY, label text);
            INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
            CREATE TABLE tags (name text);
            INSERT INTO tags VALUES ('a'), ('b'), ('c');
            """, database: database)
        var buckets: [String: String] = [:]
        for name in destinations { buckets[name] = try await s3.makeBucket("sv\(name)").settings.bucket }
        self.buckets = buckets
        directory = FileManager.default.temporaryDirectory.path + "/backupd-sv-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
    }

    /// Writes the config: the job backs up at `backupAt` (once) to every destination, with `verify`
    /// as its own or (`topLevel`) as every job's.
    func writeConfig(backupAt: Date, verify: [String: Any], topLevel: Bool = false) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let at = calendar.dateComponents([.second, .minute, .hour, .day, .month], from: backupAt)
        let once = "\(at.second!) \(at.minute!) \(at.hour!) \(at.day!) \(at.month!) *"
        let destinations: [[String: Any]] = buckets.keys.sorted().map { name in
            ["name": name, "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": buckets[name]!,
             "accessKeyId": s3.accessKey, "secretAccessKey": ["env": "SV_S3_SECRET"], "pathStyle": true]
        }
        var job: [String: Any] = [
            "name": "pg", "engine": "postgres", "schedule": once, "catchUp": "none", "destinations": buckets.keys.sorted(),
            "prefix": prefix,
            "connection": ["host": pg.host, "port": pg.port, "username": pg.user, "password": ["env": "SV_PG_PASSWORD"], "database": database,
                           "globals": true],
        ]
        if !topLevel { job["verify"] = verify }
        var root: [String: Any] = ["stateDirectory": directory + "/state", "destinations": destinations]
        if topLevel { root["verify"] = verify }
        root["jobs"] = [job]
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
    }

    /// The daemon's and the CLI's environment: secrets by variable, the PostgreSQL client tools on PATH.
    var environment: [String: String] {
        var environment = Pipeline.defaultEnvironment
        environment["SV_S3_SECRET"] = s3.secretKey
        environment["SV_PG_PASSWORD"] = pg.password
        return environment
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory + "/state", readOnly: true) }

    /// The job's first successful run, waiting up to `timeout`.
    func waitForBackup(timeout: TimeInterval) async throws -> RunRecord? {
        var found: RunRecord?
        _ = await poll(timeout: timeout) {
            found = try? history().runs(HistoryQuery(job: "pg", status: .succeeded)).first
            return found != nil
        }
        return found
    }

    /// The first of the job's scheduled verifications that satisfies `condition`, waiting up to `timeout`.
    func waitForVerification(timeout: TimeInterval, _ condition: @escaping (VerificationRecord) -> Bool) async -> VerificationRecord? {
        var found: VerificationRecord?
        _ = await poll(timeout: timeout) {
            found = (try? history().verifications(job: "pg"))?.first { $0.trigger == .schedule && condition($0) }
            return found != nil
        }
        return found
    }

    func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: environment, timeout: 120)
    }

    /// The `backupd list` row of `backupID` (at `destination`, when given).
    func listRow(_ backupID: String, destination: String? = nil) throws -> String? {
        let list = try backupd(["list", "pg"] + (destination.map { ["--destination", $0] } ?? []))
        return list.stdout.split(separator: "\n").map(String.init).first { $0.hasSuffix(backupID) }
    }

    func remove() {
        try? pg.dropDatabase(database)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// `"verify": {"schedule": ...}` run by the real `backupd run` daemon against real PostgreSQL and
/// radosgw: the verification rows, `backupd list`'s VERIFIED column, the drill and the error log.
@Suite("Scheduled verification through the daemon", .timeLimit(.minutes(4)), .ownThreads)
struct ScheduledVerificationDaemonTests {
    /// A scheduled backup (to two buckets) is verified on the verify schedule with the drill
    /// (`restoreTo`): the row (trigger verify-schedule) names the backup and destination and holds
    /// the drill's 2 tables and 1,003 rows; the drill runs once per occurrence, at the first
    /// destination, while the second is verified without one; `backupd list` shows it as passed;
    /// the scratch database is gone afterwards; no secret reaches the log.
    @Test func scheduledVerificationWithDrill() async throws {
        let setup = try await ScheduledVerifySetup(destinations: ["a", "b"])
        defer { setup.remove() }
        let scratch = TestServers.uniqueName("svdrill")
        try setup.writeConfig(backupAt: Date().addingTimeInterval(8), verify: ["schedule": "*/5 * * * * *", "restoreTo": scratch])
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")

        let run = try #require(try await setup.waitForBackup(timeout: 90), "no scheduled backup within 90 s; log:\n\(daemon.log)")
        #expect(run.trigger == .schedule)
        let id = try #require(run.objectKey.flatMap { ObjectName.parse($0, prefix: setup.prefix, job: "pg")?.backupID })
        let record = try #require(
            await setup.waitForVerification(timeout: 90) { $0.backupID == id && $0.drillDatabase != nil },
            "no scheduled verification with a drill within 90 s; log:\n\(daemon.log)")
        #expect(record.passed, "\(record.error ?? "")")
        #expect(record.destination == "a" && record.objects == 2 && (record.bytesRead ?? 0) > 0, "\(record)")
        #expect(record.drillDatabase == scratch && record.drillTables == 2 && record.drillRows == 1003)
        #expect(record.manifestKey == "\(setup.prefix)/\(id).manifest.json")

        let row = try #require(try setup.listRow(id), "backupd list has no row for \(id)")
        #expect(row.contains("passed "), "\(row)")
        let json = try setup.backupd(["list", "pg", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let last = try #require(rows.first?["lastVerification"] as? [String: Any], "\(json.stdout)")
        #expect(last["trigger"] as? String == "verify-schedule" && last["passed"] as? Bool == true)

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "log:\n\(daemon.log)")
        // Stopped: no drill is between its create and its drop.
        #expect(try setup.pg.psql("SELECT count(*) FROM pg_database WHERE datname = '\(scratch)'", database: "postgres") == "0\n")
        let recorded = try setup.history().verifications(job: "pg").filter { $0.trigger == .schedule }
        #expect(recorded.allSatisfy { $0.passed })
        #expect(recorded.filter { $0.destination == "a" }.allSatisfy { $0.drillDatabase == scratch && $0.drillRows == 1003 })
        #expect(recorded.contains { $0.destination == "b" } && recorded.filter { $0.destination == "b" }.allSatisfy { $0.drillDatabase == nil })
        let log = daemon.log
        #expect(log.contains("restore drill finished") && log.contains("backup verified"), "log:\n\(log)")
        #expect(!log.contains(setup.pg.password) && !log.contains(setup.s3.secretKey), "a secret reached the log")
    }

    /// A fan-out job's latest backup is verified on the top level's verify schedule at both
    /// destinations, one row per destination per occurrence; after one byte of the copy in bucket
    /// `b` is flipped (by the AWS CLI), the verification of `b` fails naming the object, the
    /// manifest's digest and the one found, with an error-priority log line, while `a` still
    /// passes; `backupd list --destination` shows each destination's own result.
    @Test func scheduledVerificationOfEveryDestinationRecordsCorruption() async throws {
        let setup = try await ScheduledVerifySetup(destinations: ["a", "b"])
        defer { setup.remove() }
        try setup.writeConfig(backupAt: Date().addingTimeInterval(8), verify: ["schedule": "*/5 * * * * *"], topLevel: true)
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")

        let run = try #require(try await setup.waitForBackup(timeout: 90), "no scheduled backup within 90 s; log:\n\(daemon.log)")
        let key = try #require(run.objectKey)
        let id = try #require(ObjectName.parse(key, prefix: setup.prefix, job: "pg")?.backupID)
        let expected = try #require(run.sha256)
        try setup.s3.rewrite(bucket: setup.buckets["b"]!, key: key) { $0[$0.count / 2] ^= 0x01 }
        let manifest = try setup.s3.cliManifest(bucket: setup.buckets["b"]!, key: ObjectName.manifestKey(prefix: setup.prefix, backupID: id))
        let found = try setup.s3.cliDigest(bucket: setup.buckets["b"]!, as: try #require(manifest.objects.first { $0.key == key }))

        let failed = try #require(
            await setup.waitForVerification(timeout: 60) { $0.destination == "b" && !$0.passed },
            "no failed scheduled verification of b within 60 s; log:\n\(daemon.log)")
        #expect(failed.backupID == id)
        #expect(failed.error?.contains("\(key): SHA-256 expected \(expected) (manifest), found \(found)") == true, "\(failed.error ?? "")")
        // The same occurrence verified a's copy just before, and it passed.
        #expect(await setup.waitForVerification(timeout: 30) { $0.destination == "a" && $0.passed && $0.startedAt > failed.startedAt.addingTimeInterval(-5) } != nil)

        let errorLine = daemon.log.split(separator: "\n").first { $0.contains("backup verification failed") }
        #expect(errorLine?.hasPrefix("<3>") == true, "\(errorLine ?? "no such line"); log:\n\(daemon.log)")
        #expect(errorLine?.contains("s3.destination=b") == true && errorLine?.contains(key) == true, "\(errorLine ?? "")")

        #expect(try setup.listRow(id, destination: "b")?.contains("FAILED ") == true)
        #expect(try setup.listRow(id, destination: "a")?.contains("passed ") == true)

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "log:\n\(daemon.log)")
        let rows = try setup.history().verifications(job: "pg").filter { $0.trigger == .schedule && $0.backupID == id }
        let atA = rows.filter { $0.destination == "a" }
        let atB = rows.filter { $0.destination == "b" }
        #expect(rows.count == atA.count + atB.count && atA.allSatisfy(\.passed))
        // Each occurrence that began once both manifests existed verified a, then b, exactly once each.
        let occurrences = atA.map(\.startedAt).filter { $0 > (run.endedAt ?? .distantPast) }.sorted()
        #expect(!occurrences.isEmpty)
        for (index, start) in occurrences.enumerated() {
            let next = index + 1 < occurrences.count ? occurrences[index + 1] : .distantFuture
            #expect(atB.filter { $0.startedAt > start && $0.startedAt < next }.count == 1, "occurrence at \(start)")
        }
    }
}
