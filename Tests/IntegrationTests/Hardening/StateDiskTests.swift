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

/// A full or read-only state disk, on a tmpfs of the test's own: named as such by run-now and the
/// store, while history and status keep reading the runs already recorded.
@Suite("Full and read-only state disk", .ownThreads)
struct StateDiskTests {
    /// A config on `disk` whose only job `j` is a command job, with one succeeded run recorded.
    struct Fixture {
        let disk: TinyFileSystem
        let config: String
        var state: String { disk.path + "/state" }

        init() throws {
            disk = try TinyFileSystem(kilobytes: 512)
            let root: [String: Any] = [
                "stateDirectory": disk.path + "/state",
                "destinations": [["name": "d", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "disk",
                                  "accessKeyId": "AKID", "secretAccessKey": "literal-Secret-3"]],
                "jobs": [["name": "j", "engine": "command", "schedule": "* * * * *", "timeout": "30s", "destination": "d",
                          "connection": ["argv": ["echo", "x"]]]],
            ]
            config = FileManager.default.temporaryDirectory.path + "/backupd-disk-\(UUID().uuidString).json"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o600)
            let store = try HistoryStore(stateDirectory: disk.path + "/state")
            let started = Date().addingTimeInterval(-5)
            let id = try store.insertRunning(job: "j", trigger: .schedule, scheduledAt: started, startedAt: started)
            try store.finish(runID: id, RunOutcome(status: .succeeded, endedAt: started.addingTimeInterval(1), objectKey: "j-1.bin.zst"))
        }

        func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBackupd(arguments + ["--config", config], environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
        }

        func remove() {
            disk.unmount()
            try? FileManager.default.removeItem(atPath: config)
        }
    }

    /// On a full disk run-now says `no space left on STATE (history.sqlite3)` and runs nothing;
    /// history and status still show the recorded run.
    @Test func fullDisk() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.disk.fill()
        let run = try fixture.run(["run-now", "j"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("no space left on \(fixture.state) (history.sqlite3): cannot "), "\(run.stderr)")
        #expect(run.stderr.contains("free some space"))
        #expect(!run.stderr.contains("disk I/O error"))
        let history = try fixture.run(["history"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("j-1.bin.zst"), "\(history.stdout)")
        let status = try fixture.run(["status"])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        try FileManager.default.removeItem(atPath: fixture.disk.path + "/filler")
        #expect(try HistoryStore(stateDirectory: fixture.state, readOnly: true).runs().count == 1)
    }

    /// A disk that fills while the store is open: the failing write is a `diskFull` error naming the directory.
    @Test func diskFillsWhileOpen() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = try HistoryStore(stateDirectory: fixture.state)
        try fixture.disk.fill()
        let reason = String(repeating: "x", count: 16 * 1024)
        var failure: (any Error)?
        for _ in 0..<1000 {
            do {
                _ = try store.insertSkipped(job: "j", trigger: .schedule, scheduledAt: nil, at: Date(), reason: reason)
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure as? HistoryError)
        #expect(error == .diskFull(path: fixture.state + "/history.sqlite3", operation: "record a skipped run of job j"), "\(error)")
        #expect(error.description.hasPrefix("no space left on \(fixture.state) (history.sqlite3): cannot record a skipped run of job j"))
    }

    /// On a read-only disk run-now says `is on a read-only file system`; history still reads.
    @Test func readOnlyDisk() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.disk.remount(readOnly: true)
        let run = try fixture.run(["run-now", "j"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(fixture.state) (history.sqlite3) is on a read-only file system"), "\(run.stderr)")
        let history = try fixture.run(["history"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("j-1.bin.zst"), "\(history.stdout)")
        #expect(try fixture.run(["status"]).status == 0)
    }
}
