import Foundation
import Logging

/// Runs one backup and records it in the history: a `running` row first, the upload id as soon as
/// it exists, then the outcome. Shared by the daemon and `backupd run-now`.
public struct RunRecorder: Sendable {
    /// Where runs are recorded.
    public let history: HistoryStore
    /// What takes the backup.
    public let executor: any BackupExecutor
    /// The source of time.
    public let clock: any WallClock
    /// What runs after each recorded outcome, in order.
    public let observers: [any RunObserver]

    /// Creates a recorder.
    public init(history: HistoryStore, executor: any BackupExecutor, clock: any WallClock, observers: [any RunObserver] = []) {
        self.history = history
        self.executor = executor
        self.clock = clock
        self.observers = observers
    }

    /// Records and runs `run`; returns the run id and outcome. Never throws for a failed backup
    /// (that is an outcome); throws only when the history itself cannot be written.
    public func perform(
        _ run: ScheduledRun, job: JobConfig, config: BackupConfig, cancellation: RunCancellation, logger baseLogger: Logger
    ) throws -> (runID: Int64, outcome: RunOutcome) {
        let destination = config.destination(named: job.destination)
        let startedAt = clock.now()
        let runID = try history.insertRunning(
            job: job.name, trigger: run.trigger, scheduledAt: run.scheduledFor, startedAt: startedAt,
            destination: job.destination, bucket: destination?.bucket, objectKey: nil)
        var logger = baseLogger
        logger[metadataKey: "job"] = "\(job.name)"
        logger[metadataKey: "run"] = "\(runID)"
        logger.info("backup started", metadata: ["trigger": "\(run.trigger.rawValue)", "engine": "\(job.engine.rawValue)"])
        let history = self.history
        let progressLogger = logger
        let outcome = executor.execute(
            run: RunIdentity(runID: runID, trigger: run.trigger), job: job, config: config, startedAt: startedAt, cancellation: cancellation,
            progress: { progress in
                do {
                    try history.updateProgress(runID: runID, progress)
                } catch {
                    progressLogger.error("cannot record progress in the history", metadata: ["error": "\(error)"])
                }
            }, logger: logger)
        try history.finish(runID: runID, outcome)
        try history.recordDestinations(runID: runID, outcome.destinations)
        let seconds = String(format: "%.1f", outcome.endedAt.timeIntervalSince(startedAt))
        switch outcome.status {
        case .succeeded:
            logger.notice("backup succeeded", metadata: [
                "object": "\(outcome.objectKey ?? "")", "bytes": "\(outcome.bytesStored ?? 0)",
                "sha256": "\(outcome.sha256 ?? "")", "seconds": "\(seconds)"])
        case .partial:
            for failed in outcome.destinations where failed.status != .succeeded {
                logger.error("backup not stored at a destination", metadata: [
                    "destination": "\(failed.destination)", "reason": "\(failed.error ?? "unknown")"])
            }
            logger.error("backup partial", metadata: [
                "stored": "\(outcome.destinations.filter { $0.status == .succeeded }.map(\.destination).joined(separator: ","))",
                "object": "\(outcome.objectKey ?? "")", "sha256": "\(outcome.sha256 ?? "")", "seconds": "\(seconds)"])
        case .interrupted:
            logger.warning("backup interrupted", metadata: ["reason": "\(outcome.error ?? "")", "seconds": "\(seconds)"])
        default:
            logger.error("backup failed", metadata: ["reason": "\(outcome.error ?? "unknown")", "seconds": "\(seconds)"])
        }
        for observer in observers {
            observer.runRecorded(runID: runID, run: run, job: job, config: config, outcome: outcome, history: history, logger: logger)
        }
        return (runID, outcome)
    }
}
