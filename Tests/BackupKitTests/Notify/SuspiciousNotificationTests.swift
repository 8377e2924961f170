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

@Suite("Suspicious backups in notifications and metrics", .ownThreads)
struct SuspiciousNotificationTests {
    /// A suspicious success is announced as `success` and then `backup_suspicious` (JSON with the
    /// reason; ntfy with a high priority); healthchecks gets only the success ping.
    @Test func webhookEvent() throws {
        let settings = NotifyConfig(webhooks: [Secret("https://hooks.example/x")], healthchecks: Secret("https://hc.example/ping/abc"))
        let run = try observedRun(notify: settings)
        var outcome = RunOutcome(
            status: .succeeded, endedAt: run.startedAt.addingTimeInterval(2), bytesRead: 13, bytesStored: 40,
            objectKey: "files-20270115T080001Z-3f9a1c2e.tar.zst", sha256: String(repeating: "ab", count: 32), exitStatus: 0)
        outcome.suspicious = "the dump is 13 bytes, below 10% of the median 410000 bytes of the last 5 good backups"
        let notifier = Notifier(sender: NotificationSender(transport: UnusedTransport(), logger: Logger(label: "t")), host: "db1")
        let messages = notifier.messages(.backupSuspicious, run: run, outcome: outcome, settings: settings)
        #expect(messages.count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(messages[0].body)) as? [String: Any])
        #expect(json["event"] as? String == "backup_suspicious")
        #expect(json["status"] as? String == "succeeded")
        #expect(json["suspicious"] as? String == outcome.suspicious)
        var ntfy = settings
        ntfy.format = .ntfy
        let plain = notifier.messages(.backupSuspicious, run: run, outcome: outcome, settings: ntfy)[0]
        #expect(plain.headers.contains { $0.name == "Title" && $0.value == "backupd: files backup is suspicious" })
        #expect(plain.headers.contains { $0.name == "Priority" && $0.value == "high" })
        #expect(notifier.messages(.success, run: run, outcome: outcome, settings: settings).count == 2)
    }

    /// `backupd_last_backup_suspicious` is 1 after a suspicious backup and 0 after a normal one.
    @Test func metric() throws {
        let run = try observedRun()
        var config = try pipelineConfig(["engine": "command", "connection": ["argv": ["true"]]])
        config.jobs = [run.job]
        let registry = MetricsRegistry(config: config, clock: ManualWallClock(run.startedAt))
        var outcome = RunOutcome(status: .succeeded, endedAt: run.startedAt.addingTimeInterval(1), bytesStored: 10)
        outcome.suspicious = "small"
        registry.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "t"))
        #expect(MetricsExposition.render(registry).contains("backupd_last_backup_suspicious{backup_job=\"files\"} 1.0\n"))
        outcome.suspicious = nil
        registry.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "t"))
        #expect(MetricsExposition.render(registry).contains("backupd_last_backup_suspicious{backup_job=\"files\"} 0.0\n"))
    }
}
