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

/// issue 16, "stop means stop": a listing that never ends (a new continuation token every page)
/// holds neither the daemon past its grace period nor `backupd prune` past a signal.
@Suite("An endless listing stops on SIGTERM", .serialized, .ownThreads)
struct EndlessListingStopTests {
    /// The daemon's after-backup prune lists an endless listing; SIGTERM with a 20 s grace (the
    /// issue's) stops the daemon well within the grace (the prune is stopped as soon as the
    /// daemon begins to stop, the listing ends at its next page), the backup stays recorded as
    /// succeeded, and nothing is deleted.
    @Test func daemonStopsWithinGraceDuringEndlessPrune() async throws {
        let fixture = try await TamperedBucket.make(grace: "20s", schedule: "*/5 * * * * *", keepLast: 1)
        defer { fixture.cleanUp() }
        try fixture.proxy.set(.endless)
        let daemon = try DaemonProcess(configPath: fixture.tampered, directory: fixture.directory, environment: TamperedBucket.environment)
        defer { daemon.cleanUp() }
        let listing = await poll(timeout: 60) { fixture.proxy.listRequests >= 20 }
        #expect(listing, "the after-backup prune never listed; log:\n\(daemon.log)")
        let before = fixture.proxy.listRequests
        let signalled = Date()
        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 40)
        #expect(status == 0, "the daemon did not stop within 40 s of SIGTERM (grace 20 s); log:\n\(daemon.log)")
        if let exited = daemon.exitedAt { #expect(exited.timeIntervalSince(signalled) < 10, "stopped after \(exited.timeIntervalSince(signalled)) s") }
        #expect(daemon.log.contains("backupd is stopping; retention runs again after the next backup"), "\(daemon.log)")
        let after = fixture.proxy.listRequests
        #expect(after - before < 120, "the listing went on after the stop: \(after - before) pages")
        #expect(daemon.log.contains("prune failed; nothing was deleted"), "\(daemon.log)")
        #expect(fixture.proxy.deleteBatches.isEmpty)
        let keys = try fixture.keys()
        #expect(fixture.backups.flatMap { $0 }.allSatisfy(keys.contains))
        let history = try HistoryStore(stateDirectory: fixture.directory + "/state", readOnly: true)
        #expect(try history.runs().contains { $0.status == .succeeded && $0.trigger == .schedule })
        #expect(try history.deletions(job: "app").isEmpty)
        try fixture.proxy.set(.pass)
        #expect(try fixture.restoreNewest().content == "hello")
    }

    /// `backupd prune` over an endless listing stops on SIGTERM and on SIGINT within seconds,
    /// exits 130 saying so, and deletes nothing.
    @Test(arguments: [SIGTERM, SIGINT])
    func pruneStopsOnSignal(signal: Int32) async throws {
        let fixture = try await TamperedBucket.make()
        defer { fixture.cleanUp() }
        try fixture.proxy.set(.endless)
        let process = try PosixProcessLauncher().launch(
            ProcessSpec(argv: [try backupdBinary(), "prune", "app", "--config", fixture.tampered], environment: TamperedBucket.environment))
        let listing = await poll(timeout: 30) { fixture.proxy.listRequests >= 10 }
        #expect(listing)
        let signalled = Date()
        kill(process.pid, signal)
        let killer = DispatchWorkItem { process.kill() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: killer)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while try buffer.withUnsafeMutableBytes({ try process.readOutput(into: $0) }) > 0 {}
        let exit = process.wait()
        killer.cancel()
        #expect(Date().timeIntervalSince(signalled) < 5, "prune took \(Date().timeIntervalSince(signalled)) s to stop")
        #expect(exit.statusCode == 130, "\(exit) \(process.stderrTail())")
        #expect(process.stderrTail().contains("prune stopped: interrupted by signal \(signal)"), "\(process.stderrTail())")
        #expect(fixture.proxy.deleteBatches.isEmpty)
        #expect(try fixture.keys() == fixture.backups.flatMap { $0 }.sorted())
    }
}
