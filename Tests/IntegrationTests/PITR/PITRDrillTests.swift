import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupHistory

/// The PITR restore drill (`verify --restore-to-dir`, and `verify.restoreToDir` with a schedule)
/// through the real binary, against a PostgreSQL 15 cluster archiving through `wal-push` to radosgw.
@Suite("PITR restore drill", .serialized, .ownThreads)
struct PITRDrillTests {
    /// A world with a base backup and four archived segments written after it; returns them.
    private func archive(_ world: PITRWorld, daemon: DaemonProcess) throws -> [String] {
        try world.baseBackupThenSegments(4, daemon: daemon)
    }

    /// The drill's parent directory (traversable by the server's user), created empty.
    private func drills(_ world: PITRWorld) throws -> String {
        let path = world.directory + "/drills"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o711)
        return path
    }

    /// Processes whose command line names `path` or whose working directory is below it (a
    /// drill's postmaster, and its children, which work in the data directory).
    private func processes(naming path: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
            return line.contains(path) || cwd.hasPrefix(path) ? "\(pid): \(line) in \(cwd)" : nil
        }
    }

    /// On a complete archive `verify --restore-to-dir` exits 0: the drill recovered to the newest
    /// archived segment and promoted, its verification row names the scratch directory and
    /// passed, and afterwards the scratch directory is gone and no server runs on it;
    /// `--restore-to` (a dump's drill) is refused for the PITR job.
    @Test func drillOnAGoodArchivePasses() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        _ = try archive(world, daemon: daemon)
        let parent = try drills(world)

        let verified = try world.backupd(["verify", "pg", "--restore-to-dir", parent])
        #expect(verified.status == 0, "\(verified.stdout)\n\(verified.stderr)")
        #expect(verified.stdout.contains("PITR drill recovered in \(parent)/backupd-drill-pg-"), "\(verified.stdout)")
        #expect(verified.stdout.contains("WAL replayed to") && verified.stdout.contains(", removed"), "\(verified.stdout)")
        let rows = try world.history().verifications(job: "pg").filter { $0.backupID != WALChainVerifier.historyID }
        let row = try #require(rows.first, "the base backup's verification is recorded")
        #expect(row.passed && row.trigger == .verify, "\(rows)")
        #expect(row.drillDatabase?.hasPrefix(parent + "/backupd-drill-pg-") == true && (row.drillTables ?? 0) >= 3, "\(row)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "the scratch directory is removed")
        #expect(processes(naming: parent).isEmpty, "\(processes(naming: parent))")

        // A dump's drill (a scratch database) does not fit a base backup: refused, naming the right option.
        let wrong = try world.backupd(["verify", "pg", "--restore-to", "pitr_scratch"])
        #expect(wrong.status == 1 && wrong.stderr.contains("drill it with --restore-to-dir DIR"), "\(wrong.stderr)")
    }

    /// With a WAL segment deleted from the bucket after the base backup, recovery ends at the gap:
    /// the drill fails, `verify` exits 1, and the row says why (the segment missing, recovery
    /// stopped before the newest archived WAL); the scratch directory is removed all the same.
    @Test func drillFailsAtAGap() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let switched = try archive(world, daemon: daemon)
        let parent = try drills(world)
        let victim = switched[1]
        let bucket = world.destination.json["bucket"] as? String ?? ""
        let removed = try TestS3.environment().aws(["s3", "rm", "s3://\(bucket)/pitr/pg/wal/00000001/\(victim).zst"])
        #expect(removed.status == 0, "\(removed.error)")

        let drilled = try world.backupd(["verify", "pg", "--restore-to-dir", parent])
        #expect(drilled.status == 1, "\(drilled.stdout)\n\(drilled.stderr)")
        #expect(drilled.stdout.contains("PITR drill FAILED"), "\(drilled.stdout)")
        let rows = try world.history().verifications(job: "pg").filter { $0.backupID != WALChainVerifier.historyID }
        let row = try #require(rows.first)
        #expect(!row.passed && row.drillDatabase?.hasPrefix(parent) == true, "\(row)")
        let error = row.error ?? ""
        #expect(error.contains("missing \(victim)") && error.contains("recovery stopped at") && error.contains("before the newest archived WAL \(switched[3])"), "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "the scratch directory is removed")
        #expect(processes(naming: parent).isEmpty, "\(processes(naming: parent))")
    }

    /// SIGTERM to `backupd verify --restore-to-dir` while the drill's server runs: verify exits
    /// 130, the server (and any wal-fetch it started) is killed, the scratch directory removed.
    @Test func sigtermDuringTheDrillLeavesNothing() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        _ = try archive(world, daemon: daemon)
        // More segments to replay: a longer recovery to signal in.
        for id in 10..<16 {
            try world.cluster.psql("INSERT INTO t VALUES (\(id))")
            try world.switchAndWaitArchived()
        }
        let parent = try drills(world)
        let verify = try SignalledCommand(
            ["verify", "pg", "--restore-to-dir", parent, "--config", world.configPath], environment: ProcessInfo.processInfo.environment)
        let serving = await poll(timeout: 120) { processes(naming: parent).contains { $0.contains("/postgres -D") } }
        #expect(serving, "the drill's server never ran: \(verify.process.stderrTail())")
        let stopped = try verify.stop(with: SIGTERM, limit: 30)
        #expect(stopped.exit.statusCode == 130, "\(stopped.exit): \(verify.process.stderrTail())")
        #expect(await poll(timeout: 10) { processes(naming: parent).isEmpty }, "\(processes(naming: parent))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty, "the scratch directory is removed")
    }

    /// `"verify": {"afterBackup": true}` on a PITR job: after `run-now` the daemon verifies the
    /// base backup and records the WAL chain check (trigger `after-backup`, backup `wal-chain`), passed.
    @Test func afterBackupChecksTheChain() async throws {
        let world = try await PITRWorld.make(jobKeys: ["verify": ["afterBackup": true]])
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        let rows = { try world.history().verifications(job: "pg").filter { $0.trigger == .afterBackup } }
        #expect(try await poll(timeout: 60) {
            let found = try rows()
            return found.contains { $0.backupID == WALChainVerifier.historyID } && found.contains { $0.backupID != WALChainVerifier.historyID }
        }, "\((try? rows()) ?? [])\n\(daemon.log)")
        let chain = try #require(try rows().first { $0.backupID == WALChainVerifier.historyID })
        #expect(chain.passed && chain.destination == "test", "\(chain)")
    }

    /// A PITR job with `"verify": {"schedule": "*/3 * * * * *", "restoreToDir": DIR}`: the daemon
    /// runs the drill and checks the WAL chain, recording both (trigger `verify-schedule`); after
    /// a segment is deleted a scheduled chain row fails naming it and `status` says
    /// VERIFICATION-FAILED; stopped with SIGTERM, the daemon leaves no scratch directory or server.
    @Test func scheduledVerificationDrillsAndChecksTheChain() async throws {
        let directory = "/tmp/backupd-pitr-drills-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o711)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let world = try await PITRWorld.make(jobKeys: ["verify": ["schedule": "*/3 * * * * *", "restoreToDir": directory]])
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let switched = try archive(world, daemon: daemon)

        let scheduled = { try world.history().verifications(job: "pg").filter { $0.trigger == .schedule } }
        #expect(try await poll(timeout: 180) {
            let rows = try scheduled()
            return rows.contains { $0.backupID == WALChainVerifier.historyID && $0.passed }
                && rows.contains { $0.drillDatabase?.hasPrefix(directory) == true && $0.passed }
        }, "\((try? scheduled()) ?? [])\n\(daemon.log)")

        let victim = switched[1]
        let bucket = world.destination.json["bucket"] as? String ?? ""
        let removed = try TestS3.environment().aws(["s3", "rm", "s3://\(bucket)/pitr/pg/wal/00000001/\(victim).zst"])
        #expect(removed.status == 0, "\(removed.error)")
        #expect(try await poll(timeout: 180) {
            try scheduled().contains { $0.backupID == WALChainVerifier.historyID && !$0.passed && $0.error?.contains("missing \(victim)") == true }
        }, "\((try? scheduled()) ?? [])")
        let status = try world.backupd(["status"])
        #expect(status.status == 1 && status.stdout.contains("VERIFICATION-FAILED"), "\(status.stdout)")

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "\(daemon.log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "no scratch directory is left")
        #expect(processes(naming: directory).isEmpty, "\(processes(naming: directory))")
    }
}
