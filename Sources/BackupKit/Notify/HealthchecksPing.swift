import BackupCore
import BackupHistory
import Foundation
import SigV4

/// Pings in the healthchecks.io convention: `URL/start` when a run starts, the bare URL on
/// success, `URL/fail` with the error as the body on failure; each with `?rid=` so that the
/// start and end of overlapping runs pair up.
public enum HealthchecksPing {
    /// The request for `event` of `run` to the check at `base`.
    public static func message(base: Secret, event: NotifyEvent, run: ObservedRun, outcome: RunOutcome?, redactor: Redactor) -> NotificationMessage {
        let suffix: String
        var body = ""
        switch event {
        case .start:
            suffix = "/start"
        case .success, .backupSuspicious, .verificationFailed, .walPushFailed:
            suffix = ""
            if let outcome {
                body = "backupd: \(run.job.name) run \(run.runID) stored \(outcome.objectKey ?? "") (\(outcome.bytesStored ?? 0) bytes, sha256 \(outcome.sha256 ?? ""))"
            }
        case .failure, .partial:
            suffix = "/fail"
            var lines = ["backupd: \(run.job.name) run \(run.runID) \(outcome?.status.rawValue ?? "failed"): \(redactor.redact(outcome?.error ?? "unknown error"))"]
            if let tail = outcome?.stderrTail, !tail.isEmpty { lines.append(redactor.redact(WebhookPayload.lastLines(tail, 20))) }
            body = lines.joined(separator: "\n")
        }
        let url = Secret(url(base.value, suffix: suffix, rid: runUUID(run)))
        return NotificationMessage(url: url, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(body.utf8))
    }

    /// `base` with `suffix` appended to its path and `rid` added to its query.
    static func url(_ base: String, suffix: String, rid: String) -> String {
        guard var components = URLComponents(string: base) else { return base }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path + suffix
        components.percentEncodedQuery = (components.percentEncodedQuery.map { $0 + "&" } ?? "") + "rid=\(rid)"
        return components.string ?? base
    }

    /// A UUID (healthchecks requires that form for `rid`) derived from the job, run id and start, so
    /// a run's start and end pings carry the same one.
    public static func runUUID(_ run: ObservedRun) -> String {
        let seed = "backupd-run\u{0}\(run.job.name)\u{0}\(run.runID)\u{0}\(Int64(run.startedAt.timeIntervalSince1970 * 1000))"
        var bytes = SHA256.hash(Array(seed.utf8)).prefix(16).map { $0 }
        bytes[6] = (bytes[6] & 0x0f) | 0x50  // version 5 layout (name-based)
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 4122 variant
        let hex = SHA256.hex(bytes)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return groups.joined(separator: "-")
    }
}
