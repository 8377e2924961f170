import BackupTestSupport
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

/// A config with one daily job (03:00 UTC, timeout 1h) and one disabled job.
private func metricsConfig() throws -> BackupConfig {
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = configText { root in
        root["timeZone"] = "UTC"
        var jobs = root["jobs"] as! [[String: Any]]
        jobs[0]["schedule"] = "0 3 * * *"
        jobs[0]["timeout"] = "1h"
        var off = jobs[0]
        off["name"] = "off"
        off["enabled"] = false
        root["jobs"] = [jobs[0], off]
    }
    return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
}

private let day = Date(timeIntervalSince1970: 1_799_971_200)  // 2027-01-15T00:00:00Z

@Suite("Metrics exposition", .ownThreads)
struct MetricsExpositionTests {
    /// A run updates the per-job gauges and counters; the text has TYPE lines; gauges print as
    /// swift-prometheus prints a `Double` (`1.0`), counters as whole numbers.
    @Test func runsUpdateMetrics() throws {
        let config = try metricsConfig()
        let clock = ManualWallClock(day.addingTimeInterval(3 * 3600 + 60))
        let registry = MetricsRegistry(config: config, clock: clock)
        let run = ObservedRun(runID: 1, job: config.jobs[0], destination: "local", bucket: "backups", trigger: .schedule,
                              scheduledFor: day.addingTimeInterval(3 * 3600), startedAt: day.addingTimeInterval(3 * 3600))
        registry.runStarted(run)
        #expect(MetricsExposition.render(registry).contains("backupd_job_running{backup_job=\"app-db\"} 1.0\n"))
        registry.runFinished(run, outcome: RunOutcome(status: .succeeded, endedAt: day.addingTimeInterval(3 * 3600 + 42.5), bytesStored: 1234), config: config, logger: Logger(label: "test"))
        let text = MetricsExposition.render(registry)
        #expect(text.contains("# TYPE backupd_runs_total counter\n"))
        #expect(text.contains("backupd_runs_total{backup_job=\"app-db\",status=\"succeeded\"} 1\n"))
        #expect(text.contains("backupd_last_run_duration_seconds{backup_job=\"app-db\"} 42.5\n"))
        #expect(text.contains("backupd_last_backup_size_bytes{backup_job=\"app-db\",destination=\"local\"} 1234.0\n"))
        #expect(text.contains("backupd_uploaded_bytes_total{backup_job=\"app-db\",destination=\"local\"} 1234\n"))
        #expect(text.contains("backupd_last_success_timestamp_seconds{backup_job=\"app-db\"} \(Int(day.timeIntervalSince1970) + 3 * 3600 + 42).5\n"))
        #expect(text.contains("backupd_next_run_timestamp_seconds{backup_job=\"app-db\"} \(Int(day.timeIntervalSince1970) + 27 * 3600).0\n"))
        #expect(text.contains("backupd_job_enabled{backup_job=\"off\"} 0.0\n"))
        #expect(!text.contains("backupd_next_run_timestamp_seconds{backup_job=\"off"))
    }

    /// Overdue follows `backupd status`: the slot after the last success plus the timeout passed.
    @Test func overdue() throws {
        let config = try metricsConfig()
        let clock = ManualWallClock(day.addingTimeInterval(3 * 3600))
        let registry = MetricsRegistry(config: config, clock: clock)
        let run = ObservedRun(runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .schedule,
                              scheduledFor: day.addingTimeInterval(3 * 3600), startedAt: day.addingTimeInterval(3 * 3600))
        registry.runStarted(run)
        registry.runFinished(run, outcome: RunOutcome(status: .succeeded, endedAt: day.addingTimeInterval(3 * 3600 + 10)), config: config, logger: Logger(label: "test"))
        clock.set(day.addingTimeInterval(27 * 3600 + 3599))
        #expect(MetricsExposition.render(registry).contains("backupd_job_overdue{backup_job=\"app-db\"} 0.0\n"))
        clock.set(day.addingTimeInterval(28 * 3600 + 1))
        #expect(MetricsExposition.render(registry).contains("backupd_job_overdue{backup_job=\"app-db\"} 1.0\n"))
    }

    /// A label value with a quote, a backslash and a newline is escaped in the text (by
    /// swift-prometheus); every family has one HELP and one TYPE line, and one without samples none.
    @Test func labelValuesEscaped() throws {
        let config = try metricsConfig()
        let history = HistoryMetrics(pendingAborts: ["a\"b\\c\nd": 2])
        let text = MetricsExposition.render(config: config, jobs: [:], now: day, history: history)
        #expect(text.contains("backupd_pending_aborts{destination=\"a\\\"b\\\\c\\nd\"} 2.0\n"))
        #expect(text.components(separatedBy: "# TYPE backupd_pending_aborts gauge\n").count == 2)
        #expect(text.components(separatedBy: "# HELP backupd_runs_total ").count == 2)
        #expect(!text.contains("backupd_last_verification_success"), "no verification, no family")
    }

    /// The textfile is replaced atomically: no temporary file stays behind, and the mode is 0644.
    @Test func textfileAtomic() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-prom-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/backupd.prom"
        try MetricsTextfile.writeAtomically(Array("a 1\n".utf8), to: path)
        try MetricsTextfile.writeAtomically(Array("a 2\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a 2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["backupd.prom"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(throws: MetricsError.self) { try MetricsTextfile.writeAtomically([], to: directory + "/missing/x.prom") }
    }
}
