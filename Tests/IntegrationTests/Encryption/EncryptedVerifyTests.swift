import BackupTestSupport
import Foundation
import Logging
import SigV4
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Replaces a backup's main object with `plaintext` (compressed by zstd unless `compress` is
/// false) encrypted to `recipient` by the stock tools, and rewrites its manifest to match: a
/// backup whose digests are right and whose content is not, which only a decrypting verify can tell.
func replaceEncryptedContent(
    of entry: CatalogEntry, with plaintext: String, compress: Bool = true, recipient: String, destination: TestDestination, directory: String
) async throws {
    let manifest = try #require(entry.manifest)
    let key = try #require(manifest.primary?.key)
    let manifestKey = try #require(entry.manifestKey)
    let file = directory + "/replacement.age"
    _ = try ClientTool(name: "sh").run(["-c", "printf '%s' \"$1\" | \(compress ? "zstd -q -c" : "cat") | age -r \"$2\" -o \"$3\"", "sh", plaintext, recipient, file], environment: [:])
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    try TestS3.environment().rewrite(bucket: destination.bucket, key: key) { $0 = bytes }
    var json = try await #require(try JSONSerialization.jsonObject(with: Data(destination.store.read(key: manifestKey))) as? [String: Any])
    var objects = try #require(json["objects"] as? [[String: Any]])
    let index = try #require(objects.firstIndex { $0["key"] as? String == key })
    objects[index]["size"] = bytes.count
    objects[index]["sha256"] = SHA256.hex(SHA256.hash(bytes))
    objects[index]["parts"] = nil
    objects[index]["partsSha256"] = nil
    json["objects"] = objects
    try await destination.store.delete(keys: [manifestKey])
    _ = try await destination.store.createObject(
        key: manifestKey, body: [UInt8](try JSONSerialization.data(withJSONObject: json)), contentType: "application/json")
}

@Suite("verify of age-encrypted backups", .timeLimit(.minutes(4)), .ownThreads)
struct EncryptedVerifyTests {
    /// `backupd verify --identity` decrypts an encrypted PostgreSQL backup through age and runs
    /// pg_restore --list on it; without --identity it checks the digests, exits 0 and says (text,
    /// stderr, --json, history) that the content was not checked; a wrong identity fails naming the
    /// decryption; a drill with --identity restores; content that is not a dump (digests matching)
    /// passes without the identity and fails with it (and restore --verify-first --identity refuses
    /// it, having restored the good one); an unreadable identity file is named; the after-backup
    /// verification of run-now checks the digests only.
    @Test func verifyCommandWithIdentity() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "encv")
        defer { try? server.dropDatabase(source) }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 300);", database: source)
        let key = try AgeKey.make()
        defer { key.remove() }
        let other = try AgeKey.make()
        defer { other.remove() }
        let destination = try await TestDestination.make()
        let directory = key.directory
        let state = directory + "/state"
        let root: [String: Any] = [
            "stateDirectory": state, "destinations": [destination.json],
            "jobs": [["name": "sealed", "engine": "postgres", "schedule": "0 3 * * *", "destination": "test", "prefix": "encv/\(source)",
                      "encryption": ["ageRecipients": [key.recipient]], "verify": ["afterBackup": true],
                      "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "ENCV_PG_PASSWORD"], "database": source]]],
        ]
        let configPath = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        var environment = Pipeline.defaultEnvironment
        environment["ENCV_PG_PASSWORD"] = server.password
        let run = try runBackupd(["run-now", "sealed", "--config", configPath], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")

        let blind = try runBackupd(["verify", "sealed", "--config", configPath], environment: environment)
        #expect(blind.status == 0, "\(blind.stderr)")
        #expect(blind.stdout.contains("verified (digests only)"), "\(blind.stdout)")
        #expect(blind.stdout.contains("content not checked: the backup is encrypted with age and no --identity was given"))
        #expect(blind.stderr.contains("content not checked"))
        let blindJSON = try runBackupd(["verify", "sealed", "--json", "--config", configPath], environment: environment)
        #expect(blindJSON.status == 0)
        let report = try #require((try JSONSerialization.jsonObject(with: Data(blindJSON.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(report["passed"] as? Bool == true && report["contentChecked"] as? Bool == false)
        #expect((report["contentSkipped"] as? String)?.contains("no --identity was given") == true)

        let opened = try runBackupd(["verify", "sealed", "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout.contains("age  zstd frame checksum  pg_restore --list"), "\(opened.stdout)")
        #expect(!opened.stdout.contains("digests only") && !opened.stderr.contains("content not checked"))

        let wrong = try runBackupd(["verify", "sealed", "--identity", other.identity, "--config", configPath], environment: environment)
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("decryption failed: cannot decrypt") && wrong.stderr.contains("no identity matched"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("SHA-256 expected"))

        let scratch = TestServers.uniqueName("encscratch")
        let drill = try runBackupd(["verify", "sealed", "--restore-to", scratch, "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(drill.status == 0, "\(drill.stderr)")
        #expect(drill.stdout.contains("drill restored into \(scratch): 1 tables, 300 rows"), "\(drill.stdout)")
        let refusedDrill = try runBackupd(["verify", "sealed", "--restore-to", scratch, "--config", configPath], environment: environment)
        #expect(refusedDrill.status == 1)
        #expect(refusedDrill.stderr.contains("pass the identity (private key) file with --identity FILE"), "\(refusedDrill.stderr)")

        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        let records = try history.verifications(job: "sealed")
        #expect(records.map(\.passed) == [false, true, false, true, true, true, true])
        #expect(records.map(\.contentChecked) == [true, true, true, true, false, false, false])
        #expect(records.last?.trigger == .afterBackup)
        #expect(records.last?.error?.contains("no --identity was given") == true)
        let list = try runBackupd(["list", "sealed", "--config", configPath], environment: environment)
        #expect(list.stdout.contains("FAILED "), "\(list.stdout)")

        let target = try server.createDatabase(prefix: "encr")
        defer { try? server.dropDatabase(target) }
        let restored = try runBackupd(
            ["restore", "sealed", "--to", target, "--verify-first", "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try server.psql("SELECT count(*) FROM t", database: target) == "300\n")

        let job = try #require(try BackupConfig.load(path: configPath, secrets: .none).config.job(named: "sealed"))
        let entry = try await #require(try BackupCatalog(store: destination.store, job: job).latest())
        try await replaceEncryptedContent(of: entry, with: "not a dump at all\n", recipient: key.recipient, destination: destination, directory: directory)
        let stillBlind = try runBackupd(["verify", "sealed", "--config", configPath], environment: environment)
        #expect(stillBlind.status == 0, "\(stillBlind.stderr)")
        let caught = try runBackupd(["verify", "sealed", "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(caught.status == 1)
        #expect(caught.stderr.contains("format check (pg_restore --list) failed"), "\(caught.stderr)")
        let refusedRestore = try runBackupd(
            ["restore", "sealed", "--to", target, "--verify-first", "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(refusedRestore.status == 1)
        #expect(refusedRestore.stderr.contains("failed verification, the target was not touched"), "\(refusedRestore.stderr)")
        let unreadable = try runBackupd(["verify", "sealed", "--identity", directory + "/no-such.key", "--config", configPath], environment: environment)
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr.contains("cannot read the age identity file \(directory)/no-such.key"), "\(unreadable.stderr)")
        // A FIFO would block age's read for good: refused before age starts, within the bound.
        let fifo = directory + "/identity.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let blocking = try runBackupd(["verify", "sealed", "--identity", fifo, "--config", configPath], environment: environment, timeout: 60)
        #expect(blocking.status == 1)
        #expect(blocking.stderr.contains("cannot read the age identity file \(fifo): is a FIFO, not a regular file"), "\(blocking.stderr)")
    }

    /// The daemon's scheduled verifier holds no identity: on an encrypted backup it checks the
    /// digests, records a passed verification whose content was not checked, and skips the
    /// configured drill instead of failing it.
    @Test func scheduledVerifierChecksDigestsOnly() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "encs")
        defer { try? server.dropDatabase(source) }
        _ = try server.psql("CREATE TABLE t (id int); INSERT INTO t VALUES (1);", database: source)
        let key = try AgeKey.make()
        defer { key.remove() }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "sealed-schedule-\(source)", job: [
            "engine": "postgres", "encryption": ["ageRecipients": [key.recipient]],
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": server.password, "database": source],
            "verify": ["schedule": "*/10 * * * *", "restoreTo": "never_created_scratch"],
        ])
        await #expect(pipeline.backup().status == .succeeded)
        let history = try HistoryStore(stateDirectory: key.directory + "/state")
        let clock = ManualWallClock(Date())
        let runner = VerifyRunner(stores: destination.provider, launcher: PosixProcessLauncher(), environment: pipeline.environment, clock: clock, history: history)
        let config = pipeline.config
        let service = ScheduledVerifier(runner: runner, config: { config }, clock: clock, logger: Logger(label: "it")) { duration in
            clock.advance(by: duration.seconds)
            try await Task.sleep(for: .milliseconds(1))
        }
        let task = Task { try await service.run() }
        for _ in 0..<3000 where try history.verifications(job: pipeline.job.name).isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        _ = try? await task.value
        let record = try #require(try history.verifications(job: pipeline.job.name).last)
        #expect(record.trigger == .schedule)
        #expect(record.passed && !record.contentChecked)
        #expect(record.error?.contains("no --identity was given") == true && record.error?.contains("restore drill into never_created_scratch was skipped") == true)
        #expect(record.drillDatabase == nil)
        #expect(record.bytesRead ?? 0 > 0)
    }

    /// Verified in process with the identity, the content of a replaced encrypted object (right
    /// digests, not zstd inside) fails in the compression layer; without it only the digests pass.
    @Test func decryptedContentIsChecked() async throws {
        let key = try AgeKey.make()
        defer { key.remove() }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "sealed-content", job: [
            "engine": "command", "connection": ["argv": ["seq", "1", "20000"], "extension": "txt"],
            "encryption": ["ageRecipients": [key.recipient]],
        ])
        await #expect(pipeline.backup().status == .succeeded)
        let runner = VerifyRunner(stores: destination.provider, launcher: PosixProcessLauncher(), environment: pipeline.environment, clock: SystemWallClock(), history: nil)
        let good = try await #require(try runner.run(job: pipeline.job, config: pipeline.config, selection: .latest, identity: key.identity, trigger: .verify, logger: Logger(label: "it")).first)
        #expect(good.passed && good.contentChecked, "\(good.allProblems)")
        #expect(good.objects.first?.encryption == "age" && good.objects.first?.compression == "zstd frame checksum")

        let entry = try await #require(try pipeline.catalog.latest())
        try await replaceEncryptedContent(
            of: entry, with: "plain text, no zstd frame", compress: false, recipient: key.recipient, destination: destination, directory: key.directory)
        let blind = try await #require(try runner.run(job: pipeline.job, config: pipeline.config, selection: .latest, trigger: .verify, logger: Logger(label: "it")).first)
        #expect(blind.passed && !blind.contentChecked)
        let caught = try await #require(try runner.run(job: pipeline.job, config: pipeline.config, selection: .latest, identity: key.identity, trigger: .verify, logger: Logger(label: "it")).first)
        #expect(!caught.passed)
        #expect(caught.allProblems.contains { $0.contains("compression layer (zstd frame checksum) failed") }, "\(caught.allProblems)")
    }
}
