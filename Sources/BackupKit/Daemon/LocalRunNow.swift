import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// A `backupd run-now` in this process, when no daemon runs (the caller holds the state lock):
/// the same parts as the daemon's (`DaemonParts` from the composition root, role `runNow`),
/// one run recorded with trigger `run-now`.
public struct LocalRunNow: Sendable {
    /// Where the run is recorded.
    public let history: HistoryStore

    /// Removes credentials a killed backupd left in a fallback directory (memory files leave
    /// none), then opens the config's history for writing.
    public init(config: BackupConfig) throws(CommandHistoryError) {
        _ = SecretDirectory.removeStale()
        history = try CommandHistory.writable(config)
    }

    /// The parts for one run of `config`'s jobs; `progress` counts the upload.
    public func session(config: BackupConfig, progress: TransferProgress?, logger: Logger) -> Session {
        Session(parts: DaemonParts(config: config, history: history, role: .runNow(progress: progress), logger: logger))
    }

    /// What a run ended with.
    public enum Outcome: Sendable {
        /// Taken and recorded.
        case recorded(RunSummary)
        /// Taken, but its end could not be recorded (`message` says so; the next start reconciles it).
        case unrecorded(message: String, summary: RunSummary)
    }

    /// The parts that take, record and follow up the run.
    public struct Session: Sendable {
        let parts: DaemonParts

        /// Takes and records a backup of `job` now; throws `RunRecordingError.notStarted` when the
        /// history cannot record its start (the run was not taken).
        public func run(job: JobConfig, config: BackupConfig, logger: Logger) async throws -> Outcome {
            let started = parts.clock.now()
            do {
                let (runID, outcome) = try await parts.recorder.perform(
                    ScheduledRun(job: job.name, trigger: .runNow, scheduledFor: started), job: job, config: config, logger: logger)
                return .recorded(RunSummary(job: job, config: config, runID: runID, outcome: outcome, startedAt: started))
            } catch RunRecordingError.notFinished(let name, let runID, let outcome, let reason) {
                return .unrecorded(
                    message: RunRecordingError.notFinished(job: name, runID: runID, outcome: outcome, reason: reason).description,
                    summary: RunSummary(job: job, config: config, runID: runID, outcome: outcome, startedAt: started))
            }
        }

        /// Gives the notifications sent in the background during the run a bounded moment to go
        /// out before the process exits.
        public func flushNotifications() {
            _ = parts.notifications.flush(timeout: .seconds(30))
        }
    }
}
