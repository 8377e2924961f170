import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging

extension Notifier {
    /// Announces on `job`'s webhooks that its WAL archiving fails (`wal_push_failed`);
    /// healthchecks.io tracks backup runs only, so it is not pinged.
    public func walPushFailed(job: JobConfig, name: String, error: String, at date: Date) {
        guard let settings = job.notify, !settings.webhooks.isEmpty else { return }
        let metadata: Logger.Metadata = ["job.name": "\(job.name)", "wal.name": "\(name)", "notify.event": "\(NotifyEvent.walPushFailed.rawValue)"]
        for message in walPushFailedMessages(job: job, name: name, error: error, at: date, settings: settings) {
            sender.send(message, metadata: metadata)
        }
    }

    /// The webhook messages of `wal_push_failed` (JSON, or ntfy's plain text), the reason redacted.
    public func walPushFailedMessages(job: JobConfig, name: String, error: String, at date: Date, settings: NotifyConfig) -> [NotificationMessage] {
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: job) + settings.webhooks + (settings.healthchecks.map { [$0] } ?? []))
        let reason = redactor.redact(error)
        let (headers, body): ([(name: String, value: String)], [UInt8])
        switch settings.format {
        case .json:
            let document: [String: Any] = [
                "version": WebhookPayload.schemaVersion, "event": NotifyEvent.walPushFailed.rawValue, "job": job.name,
                "engine": job.engine.rawValue, "host": host, "backupd": BackupKit.version, "status": "failed",
                "walFile": name, "at": WebhookPayload.iso(date), "problems": [reason],
            ]
            let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            (headers, body) = ([("Content-Type", "application/json")], [UInt8](data))
        case .ntfy:
            let text = "WAL archiving of \(job.name) FAILS on \(host): \(name) could not be stored: \(reason)\n"
                + "PostgreSQL keeps the WAL and retries; `backupd status` stays not ok until a WAL file is stored again."
            (headers, body) = ([("Title", "backupd: \(job.name) WAL archiving fails"), ("Priority", "high"), ("Tags", "rotating_light"),
                                ("Content-Type", "text/plain; charset=utf-8")], Array(text.utf8))
        }
        return settings.webhooks.map { url in
            NotificationMessage(url: url, headers: headers + [("User-Agent", "backupd/\(BackupKit.version)")], body: body)
        }
    }
}
