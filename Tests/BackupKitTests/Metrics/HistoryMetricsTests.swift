import BackupTestSupport
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A config with the one job (`app-db`) and destination (`local`) of the test config.
private func oneJobConfig() throws -> BackupConfig {
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = configText { _ in }
    return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
}

private let noon = Date(timeIntervalSince1970: 1_799_971_200 + 12 * 3600)

@Suite("Metrics read from the history", .ownThreads)
struct HistoryMetricsTests {
    /// The newest verification of a job (passed or failed) and the pending aborts per destination
    /// are read from the history at each render: a failed verification after a passed one shows
    /// 0, a confirmed abort drops the count back to 0, and a destination with none shows 0.
    @Test func verificationsAndPendingAborts() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let config = try oneJobConfig()
        let job = config.jobs[0].name
        let destination = config.destinations[0].name
        let registry = MetricsRegistry(config: config, clock: ManualWallClock(noon), reading: store)

        var text = MetricsExposition.render(registry)
        #expect(text.contains("backupd_pending_aborts{destination=\"\(destination)\"} 0.0\n"))
        // swift-prometheus emits a family only with a sample: no HELP/TYPE lines either.
        #expect(!text.contains("# TYPE backupd_last_verification_success"))
        #expect(!text.contains("backupd_last_verification_success{"), "no sample before the first verification")

        _ = try store.insertVerification(VerificationRecord(
            job: job, backupID: "b1", manifestKey: nil, trigger: .afterBackup, startedAt: noon, endedAt: noon.addingTimeInterval(2), passed: true,
            destination: destination))
        try store.recordPendingAbort(PendingAbort(destination: destination, bucket: "b", key: "k", uploadID: "u1", since: noon, lastError: "503"))
        try store.recordPendingAbort(PendingAbort(destination: "gone", bucket: "b", key: "k", uploadID: "u2", since: noon, lastError: "503"))
        text = MetricsExposition.render(registry)
        #expect(text.contains("backupd_last_verification_success{backup_job=\"\(job)\",destination=\"\(destination)\"} 1.0\n"))
        #expect(text.contains("backupd_last_verification_timestamp_seconds{backup_job=\"\(job)\",destination=\"\(destination)\"} \(Int(noon.timeIntervalSince1970) + 2).0\n"))
        #expect(text.contains("backupd_pending_aborts{destination=\"\(destination)\"} 1.0\n"))
        #expect(text.contains("backupd_pending_aborts{destination=\"gone\"} 1.0\n"))

        _ = try store.insertVerification(VerificationRecord(
            job: job, backupID: "b2", manifestKey: nil, trigger: .schedule, startedAt: noon.addingTimeInterval(60),
            endedAt: noon.addingTimeInterval(70), passed: false, error: "digest mismatch", destination: destination))
        try store.abortConfirmed(uploadID: "u1")
        text = MetricsExposition.render(registry)
        #expect(text.contains("backupd_last_verification_success{backup_job=\"\(job)\",destination=\"\(destination)\"} 0.0\n"))
        #expect(text.contains("backupd_pending_aborts{destination=\"\(destination)\"} 0.0\n"))
    }

    /// Without a history (a registry built without one) the pending aborts are left out, and the
    /// verification gauges have no sample until the registry records a verification.
    @Test func withoutHistory() throws {
        let registry = MetricsRegistry(config: try oneJobConfig(), clock: ManualWallClock(noon))
        let text = MetricsExposition.render(registry)
        #expect(!text.contains("backupd_pending_aborts"))
        #expect(!text.contains("backupd_last_verification_success{"), "no verification recorded, no sample")
    }
}
