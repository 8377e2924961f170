import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Logging

extension BackupRunner {
    /// The run in a task that `cancellation` cancels (its reason becomes the task's `StopReason`).
    func execute(
        run: RunIdentity?, job: JobConfig, config: BackupConfig, startedAt: Date, cancellation: RunCancellation,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        do {
            return try await cancellation.bound {
                await execute(run: run, job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
            }
        } catch {
            let reason = cancellation.reason ?? StopReason.text
            return RunOutcome(
                status: .interrupted, endedAt: clock.now(), error: EngineError.cancelled(job: job.name, reason: reason).description,
                uploadClosed: true)
        }
    }

    /// `duration` in nanoseconds, `Int64.max` when it does not fit (a timeout of "forever").
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
