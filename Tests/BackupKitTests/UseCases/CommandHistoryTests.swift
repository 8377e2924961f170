import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupHistory
@testable import ConfigKit

/// The history as the commands open it (`CommandHistory`) and the use cases that only read or
/// annotate it: `status`, `history`, `ack`, and a daemon-less run-now's start.
@Suite("Command history use cases", .ownThreads)
struct CommandHistoryTests {
    /// The test config with its state directory at `directory`.
    static func config(stateDirectory directory: String) throws -> BackupConfig {
        try loadConfig(configText { $0["stateDirectory"] = directory })
    }

    /// Without a history file, `existing` is nil and warns nothing, and `recorded` names the path and what creates it.
    @Test func noHistoryYet() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        var warnings: [String] = []
        #expect(CommandHistory.existing(config, warn: { warnings.append($0) }) == nil)
        #expect(warnings.isEmpty)
        #expect(!CommandHistory.exists(config))
        let path = directory.path + "/" + HistoryStore.fileName
        #expect(throws: CommandHistoryError.missing(path: path)) { try CommandHistory.recorded(config) }
        #expect(CommandHistoryError.missing(path: path).description
            == "no history at \(path) yet: the daemon (backupd run) or backupd run-now creates it")
    }

    /// `writable` creates the history; then `existing` and `recorded` open it read-only.
    @Test func writableCreatesIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        _ = try CommandHistory.writable(config)
        #expect(CommandHistory.exists(config))
        #expect(CommandHistory.existing(config, warn: { Issue.record("unexpected warning \($0)") }) != nil)
        _ = try CommandHistory.recorded(config)
    }

    /// A history path that cannot be read (a directory in its place) is a warning for `existing`
    /// and `.unreadable` (exit 2) for `status`, both naming where.
    @Test func unreadableHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        try FileManager.default.createDirectory(atPath: CommandHistory.path(config), withIntermediateDirectories: false)
        var warnings: [String] = []
        #expect(CommandHistory.existing(config, warn: { warnings.append($0) }) == nil)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("warning: the bucket is not cross-checked with the history: cannot read it in \(directory.path): ") == true)
        do {
            _ = try JobStatusReport.read(config: config, now: Date())
            Issue.record("status read a directory as its history")
        } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == CommandHistory.path(config))
            #expect(error.description.hasPrefix("cannot read the history at \(path): "))
        }
    }

    /// `status` without a history: every job is reported (never succeeded), with a note naming the path.
    @Test func statusWithoutHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        let report = try JobStatusReport.read(config: config, now: Date())
        #expect(report.note == "note: no history yet at \(CommandHistory.path(config)); has the daemon run?")
        #expect(report.statuses.map(\.job) == ["app-db"])
        #expect(!report.allOK)
        #expect(report.json.contains("\"app-db\""))
    }

    /// `ack` of a backup the history does not hold is refused, naming the backup.
    @Test func acknowledgeUnknownBackup() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        do {
            _ = try SuspicionAcknowledgement.acknowledge(job: "app-db", backupID: "app-db-nope", config: config, at: Date())
            Issue.record("acknowledged a backup that was never recorded")
        } catch {
            guard case .refused(let backupID, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(backupID == "app-db-nope")
            #expect(error.description.hasPrefix("cannot acknowledge app-db-nope: "))
        }
    }

    /// `history`'s options: a status name, a duration back from now or an ISO 8601 time in the
    /// config's zone; anything else is a usage error naming the option, the value and what is valid.
    @Test func historyQueryOptions() throws {
        let config = try loadConfig(configText())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let week = try HistoryListing.query(job: "app-db", status: "failed", since: "7d", limit: 5, zone: config.timeZone, now: now)
        #expect(week == HistoryQuery(job: "app-db", status: .failed, since: now.addingTimeInterval(-7 * 86_400), limit: 5))
        let local = try HistoryListing.query(job: nil, status: nil, since: "2026-11-01T00:00", limit: 1, zone: config.timeZone, now: now)
        // Europe/Berlin is UTC+1 in November.
        #expect(local.since == ISO8601DateFormatter().date(from: "2026-10-31T23:00:00Z"))
        #expect(throws: HistoryListingError.notAStatus("done")) {
            try HistoryListing.query(job: nil, status: "done", since: nil, limit: 1, zone: config.timeZone, now: now)
        }
        #expect(HistoryListingError.notAStatus("done").description.hasPrefix("--status \"done\" is not a status; use one of running, "))
        #expect(throws: HistoryListingError.notATime("yesterday")) {
            try HistoryListing.query(job: nil, status: nil, since: "yesterday", limit: 1, zone: config.timeZone, now: now)
        }
    }

    /// A job that was never recorded has no runs; without a history file that is no error.
    @Test func hasRunsWithoutHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        #expect(try !HistoryListing.hasRuns(job: "gone", config: config))
        _ = try CommandHistory.writable(config)
        #expect(try !HistoryListing.hasRuns(job: "gone", config: config))
        #expect(try HistoryListing.read(HistoryQuery(job: "gone", limit: 5), config: config).runs.isEmpty)
    }

    /// A daemon-less run-now whose history cannot be created is refused before anything runs, naming the directory.
    @Test func localRunNowNeedsItsHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/not-a-directory"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let config = try Self.config(stateDirectory: file)
        do {
            _ = try LocalRunNow(config: config)
            Issue.record("a run-now opened a history inside a file")
        } catch {
            guard case .cannotOpen(let where_, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(where_ == file)
            #expect(error.description.hasPrefix("cannot open the history in \(file): "))
        }
    }
}
