import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Records a run that could not start, with `reason` (a slot whose claim could not be decided).
struct RefusedExecutor: BackupExecutor {
    let reason: String
    let clock: any WallClock

    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        RunOutcome(status: .failed, endedAt: clock.now(), error: reason, uploadClosed: true)
    }
}
