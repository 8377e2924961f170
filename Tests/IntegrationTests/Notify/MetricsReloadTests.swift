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

@Suite("backupd binary: metrics follow a SIGHUP reload", .timeLimit(.minutes(3)), .ownThreads)
struct MetricsReloadTests {
    /// `backupd run` with a metrics listener and textfile: after the config is rewritten and the
    /// daemon gets SIGHUP, a scrape (parsed by prometheus_client) and the textfile show the added
    /// job, the rescheduled job's new next run, and no longer the removed job; a reload of a broken
    /// file changes nothing.
    @Test func reloadUpdatesMetrics() async throws {
        let destination = try await TestDestination.make()
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-metrics-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try freeLoopbackPort()
        let textfile = directory + "/backupd.prom"
        let configPath = directory + "/config.json"
        func writeConfig(_ jobs: [(name: String, schedule: String)]) throws {
            let root: [String: Any] = [
                "stateDirectory": directory + "/state", "destinations": [destination.json],
                "metrics": ["listen": "127.0.0.1:\(port)", "textfile": textfile],
                "jobs": jobs.map { ["name": $0.name, "engine": "command", "schedule": $0.schedule, "destination": "test", "connection": ["argv": ["true"]]] },
            ]
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
            chmod(configPath, 0o600)
        }
        func nextRun(_ job: String) throws -> Double? {
            try BackupConfig.load(path: configPath).config.job(named: job)?.cronSchedule.next(after: Date())?.timeIntervalSince1970
        }
        func scrape() throws -> [String: Double] {
            try PrometheusParser.parse(try httpGet("http://127.0.0.1:\(port)/metrics").body).samples
        }
        try writeConfig([("kept", "0 3 * * *"), ("dropped", "0 4 * * *")])
        let daemon = try DaemonProcess(configPath: configPath, directory: directory)
        defer { daemon.cleanUp() }
        #expect(await daemon.waitForLog("metrics listening", timeout: 20), "\(daemon.log)")
        let before = try scrape()
        #expect(before["backupd_job_enabled{backup_job=\"dropped\"}"] == 1)
        #expect(before["backupd_next_run_timestamp_seconds{backup_job=\"kept\"}"] == (try nextRun("kept")))
        #expect(before["backupd_job_enabled{backup_job=\"added\"}"] == nil)

        try writeConfig([("kept", "17 5 * * *"), ("added", "45 1 * * *")])
        let keptNext = try #require(try nextRun("kept"))
        let addedNext = try #require(try nextRun("added"))
        daemon.send(SIGHUP)
        var after: [String: Double] = [:]
        let followed = try await poll(timeout: 20) {
            after = try scrape()
            return after["backupd_job_enabled{backup_job=\"added\"}"] == 1
        }
        #expect(followed, "\(daemon.log)")
        #expect(after["backupd_next_run_timestamp_seconds{backup_job=\"added\"}"] == addedNext)
        #expect(after["backupd_runs_total{backup_job=\"added\",status=\"succeeded\"}"] == 0)
        #expect(after["backupd_next_run_timestamp_seconds{backup_job=\"kept\"}"] == keptNext)
        #expect(after["backupd_next_run_timestamp_seconds{backup_job=\"kept\"}"] != before["backupd_next_run_timestamp_seconds{backup_job=\"kept\"}"])
        #expect(!after.keys.contains { $0.contains("job=\"dropped\"") })
        let file = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8)).samples
        #expect(file["backupd_job_enabled{backup_job=\"added\"}"] == 1)
        #expect(!file.keys.contains { $0.contains("job=\"dropped\"") })

        // A reload that fails keeps the config in force, and the metrics with it.
        try "{\"jobs\": [".write(toFile: configPath, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(await daemon.waitForLog("config reload failed", timeout: 20), "\(daemon.log)")
        let kept = try scrape()
        #expect(kept["backupd_job_enabled{backup_job=\"added\"}"] == 1 && kept["backupd_next_run_timestamp_seconds{backup_job=\"kept\"}"] == keptNext)

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0)
    }
}
