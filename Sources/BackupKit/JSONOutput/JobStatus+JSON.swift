import BackupHistory
import Foundation

extension JobStatus {
    /// `backupd status --json`: `{ok, jobs: [...]}`, one object per configured job (docs/json.md).
    public static func json(_ statuses: [JobStatus]) -> JSONOutput {
        .object([
            ("ok", .bool(statuses.allSatisfy(\.isOK))),
            ("jobs", .array(statuses.map(\.jsonObject))),
        ])
    }

    private var jsonObject: JSONOutput {
        .object([
            ("job", .string(job)),
            ("enabled", .bool(enabled)),
            ("state", .string(state.rawValue)),
            ("ok", .bool(isOK)),
            ("lastRun", Self.run(lastRun)),
            ("lastAttempt", Self.run(lastAttempt)),
            ("lastSuccess", Self.run(lastSuccess)),
            ("nextRunAt", .time(nextRun)),
            ("freshUntil", .time(freshUntil)),
            ("suspiciousBackupId", .string(suspicious.flatMap { $0.backupID ?? $0.objectKey })),
            ("problem", .string(problem(time: { HistoryRenderer.utcTimestamp($0) }))),
        ])
    }

    /// The essentials of a run, or null.
    private static func run(_ run: RunRecord?) -> JSONOutput {
        guard let run else { return .null }
        return .object([
            ("id", .int(run.id)),
            ("status", .string(run.status.rawValue)),
            ("trigger", .string(run.trigger.rawValue)),
            ("startedAt", .time(run.startedAt)),
            ("endedAt", .time(run.endedAt)),
            ("bytesStored", .int(run.bytesStored)),
            ("objectKey", .string(run.objectKey)),
            ("error", .string(run.error)),
        ])
    }
}
