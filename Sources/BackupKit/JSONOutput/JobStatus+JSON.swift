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
            ("walArchive", Self.archive(walArchive)),
        ])
    }

    /// A PITR job's WAL archive (null for other jobs and before the first push).
    private static func archive(_ wal: WALArchiveState?) -> JSONOutput {
        guard let wal else { return .null }
        return .object([
            ("newest", .string(wal.lastName)),
            ("newestArchivedAt", .time(wal.lastArchived)),
            ("failedPushes", .int(Int64(wal.failures))),
            ("lastFailedAt", .time(wal.lastFailed)),
            ("lastFailedFile", .string(wal.lastFailedName)),
            ("lastError", .string(wal.lastError)),
            ("waiting", .int(wal.waiting.map(Int64.init))),
            ("waitingCountedAt", .time(wal.waitingCounted)),
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
