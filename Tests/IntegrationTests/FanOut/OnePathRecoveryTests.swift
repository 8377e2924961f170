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

@Suite("One recovery path for every run", .ownThreads)
struct OnePathRecoveryTests {
    /// SIGKILL of `run-now` mid-upload, for a job with one destination and for one with two, takes
    /// the same path: while it runs, each destination's lane holds its open upload; at the next
    /// start each lane's upload is handed to the pending-abort ledger and aborted from there
    /// (radosgw lists no multipart upload afterwards, so no part stays billed), and the run is one
    /// history row, interrupted, with each lane interrupted and no upload left open or pending.
    @Test(arguments: [["a"], ["a", "b"]])
    func crashedRunIsRecoveredLaneByLane(destinations: [String]) async throws {
        let fixture = try await FanOutFixture(dumpBytes: 12 << 20, generated: true, stall: true, jobKeys: ["destinations": destinations])
        defer { fixture.remove() }
        let runNow = Process()
        runNow.executableURL = URL(fileURLWithPath: try backupdBinary())
        runNow.arguments = ["run-now", "app", "--config", fixture.configPath]
        runNow.environment = fixture.environment
        let output = fixture.state + "/run-now.log"
        FileManager.default.createFile(atPath: output, contents: nil)
        runNow.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        runNow.standardOutput = runNow.standardError
        try runNow.run()
        defer { if runNow.isRunning { kill(runNow.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        var lanes: [DestinationUpload] = []
        let started = try await poll(timeout: 90) {
            guard let history = try? HistoryStore(stateDirectory: fixture.state, readOnly: true),
                  let run = try history.runningRuns().first else { return false }
            lanes = try history.destinationUploads(runIDs: [run.id])[run.id] ?? []
            return lanes.count == destinations.count && lanes.allSatisfy { $0.uploadID != nil }
        }
        #expect(started, "the lanes' uploads did not start; log:\n\(log())")
        try #require(started)
        try await Task.sleep(for: .seconds(1))
        kill(runNow.processIdentifier, SIGKILL)
        runNow.waitUntilExit()
        #expect(lanes.map(\.destination) == destinations)
        for lane in lanes {
            await #expect(try fixture.openUploads(lane.destination).map(\.uploadID).contains(lane.uploadID!), "\(lane.destination) had no open upload before recovery")
        }

        let daemon = try DaemonProcess(configPath: fixture.configPath, directory: fixture.state, environment: fixture.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        let recovered = try await poll(timeout: 30) {
            var allClosed = true
            for destination in destinations where try await !fixture.openUploads(destination).isEmpty { allClosed = false }
            return try allClosed && HistoryStore(stateDirectory: fixture.state, readOnly: true).openDestinationUploads().isEmpty
        }
        #expect(recovered, "an upload is still open after recovery; log:\n\(daemon.log)")
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "log:\n\(daemon.log)")

        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        #expect(runs.count == 1, "\(runs.map { "\($0.id) \($0.status)" })")
        let run = try #require(runs.first)
        #expect(run.status == .interrupted && run.error?.contains("backupd stopped during this run") == true, "\(run)")
        let results = try history.destinationUploads(runIDs: [run.id])[run.id] ?? []
        #expect(results.map(\.destination) == destinations)
        #expect(results.allSatisfy { $0.status == .interrupted && $0.uploadID == nil }, "\(results)")
        #expect(try history.uploadsToAbort().isEmpty && history.pendingAborts().isEmpty)
        let aborted = daemon.log.components(separatedBy: "aborted the upload of an interrupted run").count - 1
        #expect(aborted == destinations.count, "log:\n\(daemon.log)")
        for name in destinations { await #expect(try fixture.openUploads(name).isEmpty, "\(name) still bills parts") }
    }
}
