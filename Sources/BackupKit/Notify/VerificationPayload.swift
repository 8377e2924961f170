import BackupCore
import BackupHistory
import ConfigKit
import Foundation

/// Builds the webhook bodies of `verification_failed`: the JSON document (the run events' layout
/// where fields mean the same) or ntfy's plain text. The problems are redacted again here.
public struct VerificationPayload: Sendable {
    /// The failed verification.
    public var record: VerificationRecord
    /// The job whose backup it verified.
    public var job: JobConfig
    /// The host name backupd runs on.
    public var host: String
    /// Removes secrets from free text.
    public var redactor: Redactor

    /// Describes one failed verification.
    public init(record: VerificationRecord, job: JobConfig, host: String, redactor: Redactor) {
        self.record = record
        self.job = job
        self.host = host
        self.redactor = redactor
    }

    /// The JSON document, keys sorted.
    public func json() -> [UInt8] {
        var document: [String: Any] = [
            "version": WebhookPayload.schemaVersion, "event": NotifyEvent.verificationFailed.rawValue, "job": job.name,
            "engine": job.engine.rawValue, "host": host, "backupd": BackupKit.version, "status": "failed",
            "backupId": record.backupID, "trigger": record.trigger.rawValue, "verificationId": record.id,
            "startedAt": WebhookPayload.iso(record.startedAt), "endedAt": WebhookPayload.iso(record.endedAt),
            "problems": problems,
        ]
        if let key = record.manifestKey { document["manifestKey"] = key }
        if let destination = record.destination { document["destination"] = destination }
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data)
    }

    /// ntfy's form: a high-priority title and the problems.
    public func ntfy() -> (headers: [(name: String, value: String)], body: [UInt8]) {
        let at = record.destination.map { " at \($0)" } ?? ""
        var lines = ["Verification of backup \(record.backupID) of \(job.name)\(at) FAILED (\(record.trigger.rawValue)) on \(host)."]
        lines += problems.map { "Problem: \($0)" }
        lines.append("`backupd status` stays not ok until a later verification of \(job.name) passes.")
        return ([("Title", "backupd: \(job.name) verification failed"), ("Priority", "high"), ("Tags", "rotating_light"),
                 ("Content-Type", "text/plain; charset=utf-8")], Array(lines.joined(separator: "\n").utf8))
    }

    /// The problems, one per line of the record's error, redacted.
    var problems: [String] {
        (record.error ?? "").split(separator: "\n").map { redactor.redact(String($0)) }
    }
}
