import BackupCore
import BackupHistory
import Foundation

/// Builds the webhook bodies for a run event: the JSON document (field names in the README) or
/// ntfy's plain text with its `Title`/`Priority`/`Tags` headers. Error and stderr text are
/// redacted again here with every secret of the job, destination and notify settings.
public struct WebhookPayload: Sendable {
    /// The event announced.
    public var event: NotifyEvent
    /// The run.
    public var run: ObservedRun
    /// The outcome (nil for `start`).
    public var outcome: RunOutcome?
    /// The host name backupd runs on.
    public var host: String
    /// Removes secrets from free text.
    public var redactor: Redactor

    /// The version of the JSON document's layout.
    public static let schemaVersion = 1

    /// Describes one event.
    public init(event: NotifyEvent, run: ObservedRun, outcome: RunOutcome?, host: String, redactor: Redactor) {
        self.event = event
        self.run = run
        self.outcome = outcome?.completingLanes(run.destinations)
        self.host = host
        self.redactor = redactor
    }

    /// The JSON document, keys sorted.
    public func json() -> [UInt8] {
        var document: [String: Any] = [
            "version": Self.schemaVersion, "event": event.rawValue, "job": run.job.name, "engine": run.job.engine.rawValue,
            "runId": run.runID, "trigger": run.trigger.rawValue, "host": host, "backupd": BackupKit.version,
            "startedAt": Self.iso(run.startedAt), "encrypted": run.job.encryption != nil,
        ]
        if let scheduled = run.scheduledFor { document["scheduledFor"] = Self.iso(scheduled) }
        // Every lane of the run; its end adds each one's result.
        let lanes = outcome?.destinations.map { (name: $0.destination, bucket: $0.bucket, status: Optional($0.status)) }
            ?? run.destinations.map { (name: $0.name, bucket: $0.bucket, status: nil) }
        document["destinations"] = lanes.map { lane -> [String: Any] in
            var destination: [String: Any] = ["name": lane.name]
            if let bucket = lane.bucket { destination["bucket"] = bucket }
            if let status = lane.status { destination["status"] = status.rawValue }
            return destination
        }
        if let outcome {
            document["status"] = outcome.status.rawValue
            document["endedAt"] = Self.iso(outcome.endedAt)
            document["durationSeconds"] = (outcome.endedAt.timeIntervalSince(run.startedAt) * 1000).rounded() / 1000
            if let read = outcome.bytesRead { document["bytesRead"] = read }
            if let stored = outcome.bytesStored { document["bytesStored"] = stored }
            // One object per destination that stored the backup (also of a partial run).
            document["objects"] = outcome.destinations.compactMap { lane -> [String: Any]? in
                guard case .stored(let receipt) = lane.state, let key = receipt.objectKey else { return nil }
                var object: [String: Any] = ["key": key, "destination": lane.destination]
                if let size = receipt.bytesStored { object["size"] = size }
                if let sha = receipt.sha256 { object["sha256"] = sha }
                return object
            }
            if let error = outcome.error { document["error"] = redactor.redact(error) }
            if let tail = outcome.stderrTail, !tail.isEmpty { document["stderrTail"] = redactor.redact(Self.lastLines(tail, 20)) }
            if let exit = outcome.exitStatus { document["exitStatus"] = Int(exit) }
            if let suspicious = outcome.suspicious { document["suspicious"] = suspicious }
        }
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data)
    }

    /// ntfy's form: a short title, a priority (high on failure), tags and a plain-text body.
    public func ntfy() -> (headers: [(name: String, value: String)], body: [UInt8]) {
        let name = run.job.name
        var title: String
        var lines: [String] = []
        var priority = "default"
        var tags = "floppy_disk"
        switch (event, outcome) {
        case (.start, _), (_, nil):
            title = "backupd: \(name) started"
            priority = "low"
            lines.append("Backup of \(name) started (run \(run.runID), \(run.trigger.rawValue)) on \(host).")
        case (_, let outcome?):
            let seconds = String(format: "%.1f", outcome.endedAt.timeIntervalSince(run.startedAt))
            if outcome.status == .succeeded {
                title = "backupd: \(name) succeeded"
                tags = "white_check_mark"
                lines.append("Backup of \(name) succeeded in \(seconds) s (run \(run.runID)) on \(host).")
                for lane in outcome.destinations {
                    if let key = lane.objectKey { lines.append("Object: \(lane.bucket.map { "s3://\($0)/" } ?? "")\(key)") }
                }
                if let size = outcome.bytesStored { lines.append("Size: \(size) bytes") }
                if let sha = outcome.sha256 { lines.append("SHA-256: \(sha)") }
            } else {
                title = "backupd: \(name) \(outcome.status.rawValue)"
                priority = "high"
                tags = "rotating_light"
                lines.append("Backup of \(name) \(outcome.status.rawValue) after \(seconds) s (run \(run.runID)) on \(host).")
                if let error = outcome.error { lines.append("Error: \(redactor.redact(error))") }
                if let tail = outcome.stderrTail, !tail.isEmpty { lines.append("Last stderr lines:\n" + redactor.redact(Self.lastLines(tail, 10))) }
            }
        }
        if event == .partial { title = "backupd: \(name) partially stored" }
        if event == .backupSuspicious, let reason = outcome?.suspicious {
            title = "backupd: \(name) backup is suspicious"
            priority = "high"
            tags = "warning"
            lines.insert("Suspicious backup: \(reason). It is stored; retention keeps the older backups until `backupd ack` acknowledges it.", at: 0)
        }
        return ([("Title", title), ("Priority", priority), ("Tags", tags), ("Content-Type", "text/plain; charset=utf-8")],
                Array(lines.joined(separator: "\n").utf8))
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func lastLines(_ text: String, _ count: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }
}
