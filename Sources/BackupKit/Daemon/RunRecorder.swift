import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Runs one backup and records it in the history: a `running` row naming its owner first, the
/// upload id as soon as it exists, then the outcome. The one place a run is performed and
/// recorded, shared by the daemon and a daemon-less `backupd run-now`.
public struct RunRecorder: Sendable {
    /// Where runs are recorded.
    public let history: HistoryStore
    /// What takes the backup.
    public let executor: any BackupExecutor
    /// The source of time.
    public let clock: any WallClock
    /// The process recorded as the owner of every run (crash recovery leaves its runs alone while it lives).
    public let owner: ProcessOwner
    /// What follows each run (verification, retention, notifications, metrics), in order.
    public let observers: [any RunObserver]

    /// Creates a recorder; runs are owned by this process unless `owner` says otherwise.
    public init(
        history: HistoryStore, executor: any BackupExecutor, clock: any WallClock, owner: ProcessOwner = .current(),
        observers: [any RunObserver] = []
    ) {
        self.history = history
        self.executor = executor
        self.clock = clock
        self.owner = owner
        self.observers = observers
    }

    /// Records and runs `run`; returns the run id and outcome. Never throws for a failed backup
    /// (that is an outcome); throws `RunRecordingError` when the history cannot be written: before
    /// the start (the run was not taken) or at the end (the run's result is only in the logs).
    /// Cancelling the calling task stops the run; its `StopReason` says why.
    public func perform(
        _ run: ScheduledRun, job: JobConfig, config: BackupConfig,
        logger baseLogger: Logger, onEvent: (@Sendable (RunEvent) -> Void)? = nil
    ) async throws -> (runID: Int64, outcome: RunOutcome) {
        // One lane per destination of the job, opened with the run: crash recovery reconciles and
        // aborts each one, whatever the number.
        let destinations = job.destinations.map { (name: $0, bucket: config.destination(named: $0)?.bucket) }
        let startedAt = clock.now()
        let runID: Int64
        do {
            runID = try history.insertRunning(
                job: job.name, trigger: run.trigger, scheduledAt: run.scheduledFor, startedAt: startedAt, destinations: destinations, owner: owner)
        } catch {
            throw RunRecordingError.notStarted(job: job.name, scheduledFor: run.scheduledFor, reason: "\(error)")
        }
        onEvent?(.started(runID: runID, startedAt: startedAt))
        var logger = baseLogger
        logger[metadataKey: "job.name"] = "\(job.name)"
        logger[metadataKey: "run.id"] = "\(runID)"
        logger.info("backup started", metadata: ["run.trigger": "\(run.trigger.rawValue)", "job.engine": "\(job.engine.rawValue)"])
        var buckets: [String: String] = [:]
        for destination in destinations { buckets[destination.name] = destination.bucket }
        let observed = ObservedRun(
            runID: runID, job: job, buckets: buckets, trigger: run.trigger, scheduledFor: run.scheduledFor, startedAt: startedAt)
        for observer in observers { observer.runStarted(observed) }
        let history = self.history
        let progressLogger = logger
        let executed = await executor.execute(
            run: RunIdentity(runID: runID, trigger: run.trigger), job: job, config: config, startedAt: startedAt,
            progress: { progress in
                onEvent?(.progress(runID: runID, progress))
                do {
                    // A lane's upload or drop-out is recorded at once, so a crash before the run ends keeps it.
                    try history.updateProgress(runID: runID, progress)
                } catch {
                    progressLogger.error("cannot record progress in the history", metadata: ["error": "\(error)"])
                }
            }, logger: logger)
        let outcome = executed.completingLanes(destinations)
        do {
            try history.finish(runID: runID, outcome)
        } catch {
            throw RunRecordingError.notFinished(job: job.name, runID: runID, outcome: outcome, reason: "\(error)")
        }
        let seconds = String(format: "%.1f", outcome.endedAt.timeIntervalSince(startedAt))
        switch outcome.status {
        case .succeeded:
            logger.notice("backup succeeded", metadata: [
                "s3.key": "\(outcome.objectKey ?? "")", "run.bytes": "\(outcome.bytesStored ?? 0)",
                "run.sha256": "\(outcome.sha256 ?? "")", "run.seconds": "\(seconds)"])
        case .partial:
            for failed in outcome.destinations where failed.status != .succeeded {
                logger.error("backup not stored at a destination", metadata: [
                    "s3.destination": "\(failed.destination)", "run.reason": "\(failed.error ?? "unknown")"])
            }
            logger.error("backup partial", metadata: [
                "run.stored_at": "\(outcome.storedDestinations.joined(separator: ","))",
                "s3.key": "\(outcome.objectKey ?? "")", "run.sha256": "\(outcome.sha256 ?? "")", "run.seconds": "\(seconds)"])
        case .claimed:
            logger.warning("backup abandoned: another host took the slot over", metadata: ["run.reason": "\(outcome.error ?? "")", "run.seconds": "\(seconds)"])
        case .interrupted:
            logger.warning("backup interrupted", metadata: ["run.reason": "\(outcome.error ?? "")", "run.seconds": "\(seconds)"])
        default:
            logger.error("backup failed", metadata: ["run.reason": "\(outcome.error ?? "unknown")", "run.seconds": "\(seconds)"])
        }
        for observer in observers { await observer.runFinished(observed, outcome: outcome, config: config, logger: logger) }
        return (runID, outcome)
    }
}
