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

/// issue 17: SIGTERM during any activity (an upload, a verification, a restore drill) ends it
/// within the grace period, through the real `backupd` binary, with the true outcome recorded and
/// no multipart upload left billed. (A prune listing: `EndlessListingStopTests`; a dump that
/// outlives the grace: `DaemonEndToEndTests.sigtermDuringRunInterruptsAfterGracePeriod`.)
@Suite("SIGTERM during any activity", .timeLimit(.minutes(4)), .ownThreads)
struct StopDuringActivityTests {
    /// The daemon's upload stalls behind S3 (the proxy stops moving bytes mid-upload); SIGTERM with
    /// a 2 s grace ends the daemon within seconds, the run has exactly one row, `interrupted`
    /// naming the grace period; once S3 answers again the next start aborts the upload, so no
    /// multipart upload stays billed.
    @Test func sigtermDuringStalledUpload() async throws {
        let fixture = try await StopFixture(label: "stop-upload")
        defer { fixture.remove() }
        // One run only (a schedule that fires once, seconds from now), whose dump outlasts the test.
        try fixture.writeConfig(job: StopFixture.commandJob(megabytes: 4096, schedule: StopFixture.once(after: 5)))
        let daemon = try DaemonProcess(configPath: fixture.configPath, directory: fixture.directory, environment: fixture.environment)
        defer { daemon.cleanUp() }
        var running: RunRecord?
        _ = await poll(timeout: 60) {
            running = (try? fixture.history().runningRuns())?.first { $0.uploadID != nil }
            return running != nil
        }
        let run = try #require(running, "no upload started; log:\n\(daemon.log)")
        fixture.proxy.stall()
        try await Task.sleep(for: .seconds(1))

        let signalled = Date()
        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 30)
        #expect(status == 0, "the daemon did not stop within 30 s of SIGTERM (grace 2 s); log:\n\(daemon.log)")
        if let exited = daemon.exitedAt { #expect(exited.timeIntervalSince(signalled) < 15, "stopped after \(exited.timeIntervalSince(signalled)) s") }
        let rows = try fixture.history().runs(HistoryQuery(job: "app"))
        #expect(rows.count == 1, "rows: \(rows.map { "\($0.id) \($0.status)" })")
        let record = try #require(try fixture.history().run(id: run.id))
        #expect(record.status == .interrupted, "status \(record.status); log:\n\(daemon.log)")
        #expect(record.error?.contains("grace period") == true, "error: \(record.error ?? "nil")")

        // S3 is reachable again: whatever the stalled abort could not do is done at the next start.
        try fixture.proxy.restore()
        try fixture.writeConfig(job: StopFixture.commandJob(megabytes: 1, schedule: StopFixture.never))
        let second = try DaemonProcess(configPath: fixture.configPath, directory: fixture.directory, environment: fixture.environment)
        defer { second.cleanUp() }
        let aborted = try await poll(timeout: 30) { try fixture.openUploadIDs().isEmpty }
        #expect(aborted, "a multipart upload stayed open: \((try? fixture.openUploadIDs()) ?? []); log:\n\(second.log)")
        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 30) == 0)
        #expect(try fixture.history().runs(HistoryQuery(job: "app")).count == 1)
    }

    /// `backupd verify` whose download stalls (the proxy stops moving bytes) ends within seconds
    /// of SIGTERM and SIGINT, with exit 130 saying so and no verification recorded as passed or failed.
    @Test(arguments: [SIGTERM, SIGINT])
    func verifyCommandStopsOnSignalDuringStalledDownload(signal: Int32) async throws {
        let fixture = try await StopFixture(label: "stop-verify")
        defer { fixture.remove() }
        try fixture.writeConfig(job: StopFixture.commandJob(megabytes: 48, schedule: StopFixture.never))
        let backup = try fixture.backupd(["run-now", "app"])
        try #require(backup.status == 0, "run-now: \(backup.stderr)")
        fixture.proxy.stall()
        let verify = try SignalledCommand(["verify", "app", "--config", fixture.configPath], environment: fixture.environment)
        try await Task.sleep(for: .seconds(2))
        let stopped = try verify.stop(with: signal, limit: 30)
        #expect(stopped.seconds < 10, "verify took \(stopped.seconds) s to stop: \(verify.process.stderrTail())")
        #expect(stopped.exit.statusCode == 130, "\(stopped.exit): \(verify.process.stderrTail())")
        #expect(verify.process.stderrTail().contains("stopped: interrupted by signal \(signal)"), "\(verify.process.stderrTail())")
        let verifications = try fixture.history().verifications(job: "app")
        #expect(verifications.allSatisfy { !$0.passed && $0.couldNotRun }, "\(verifications.map { ($0.passed, $0.error ?? "") })")
    }

    /// The daemon's scheduled verification stalls on its download; SIGTERM ends the daemon within
    /// the grace period (the download is cancelled through the bridge), and no verification is
    /// recorded as passed or failed.
    @Test func sigtermDuringScheduledVerification() async throws {
        let fixture = try await StopFixture(label: "stop-sverify")
        defer { fixture.remove() }
        try fixture.writeConfig(job: StopFixture.commandJob(megabytes: 48, schedule: StopFixture.never), verify: ["schedule": "*/2 * * * * *"])
        try #require(try fixture.backupd(["run-now", "app"]).status == 0)
        fixture.proxy.stall()
        let daemon = try DaemonProcess(configPath: fixture.configPath, directory: fixture.directory, environment: fixture.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        try await Task.sleep(for: .seconds(5))
        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 15)
        #expect(status == 0, "the daemon did not stop within 15 s of SIGTERM (grace 2 s); log:\n\(daemon.log)")
        let verifications = try fixture.history().verifications(job: "app")
        #expect(verifications.allSatisfy { !$0.passed && $0.couldNotRun }, "\(verifications.map { ($0.passed, $0.error ?? "") })")
        // At most the one verification under way, recorded as stopped (none when the stall held
        // it in the listing, before it had a backup to name): no verdict on the backup.
        #expect(verifications.count <= 1 && verifications.allSatisfy { ($0.error ?? "").contains("stopped before it finished") },
                "\(verifications.map { ($0.passed, $0.error ?? "") })")
    }
}
