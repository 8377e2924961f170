import Foundation
import Logging

extension RecoveryService {
    /// Ends a fan-out run its owner left `running` with each destination's truth:
    /// succeeded where its backup is complete (manifest written), interrupted elsewhere. A
    /// destination that cannot be checked leaves the run `running`, retried at the next start.
    func reconcileFanOut(_ run: RunRecord, destinations rows: [DestinationUpload], at time: Date) async {
        let logger = coordinator.logger
        var results: [Int: DestinationOutcome] = [:]
        for row in rows {
            if row.status == .failed {
                // It dropped out before the crash: its recorded failure is the truth, not the crash.
                results[row.position] = DestinationOutcome(
                    destination: row.destination, bucket: row.bucket, status: .failed, objectKey: row.objectKey, error: row.error)
                continue
            }
            var outcome = DestinationOutcome(
                destination: row.destination, bucket: row.bucket, status: .interrupted, objectKey: row.objectKey, error: Self.interruptedReason)
            if let key = row.objectKey, let destination = coordinator.config.destination(named: row.destination) {
                do {
                    let store = try coordinator.dependencies.stores.store(for: destination, logger: logger)
                    if let object = try await Self.completedObject(store: store, key: key, job: run.job) {
                        outcome = DestinationOutcome(
                            destination: row.destination, bucket: row.bucket, status: .succeeded, objectKey: key, bytesStored: object.size,
                            sha256: object.metadata["sha256"])
                    }
                } catch {
                    logger.error("crash recovery: cannot check a run's object at a destination; retried at the next start", metadata: [
                        "run.id": "\(run.id)", "s3.destination": "\(row.destination)", "s3.key": "\(key)", "error": "\(error)"])
                    return
                }
            }
            results[row.position] = outcome
        }
        do {
            guard let status = try coordinator.history.reconcileDestinations(runID: run.id, at: time, results: results, reason: Self.interruptedReason)
            else { return }
            let stored = rows.filter { results[$0.position]?.status == .succeeded }.map(\.destination)
            logger.warning("run was interrupted by a crash", metadata: [
                "job.name": "\(run.job)", "run.id": "\(run.id)", "run.started_at": "\(run.startedAt)", "run.status": "\(status.rawValue)",
                "run.stored_at": "\(stored.joined(separator: ","))"])
        } catch {
            logger.error("cannot record an interrupted run", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
    }

    /// Aborts the open uploads at `destination` of fan-out runs that ended; an abort that
    /// fails is handed to the upload sweeper as abort pending, so its parts do not stay billed.
    func abortDestinationUploads(at destination: DestinationConfig, store: any BackupObjectStore, at time: Date) async {
        let history = coordinator.history
        let logger = coordinator.logger
        let open: [DestinationUpload]
        do {
            open = try history.openDestinationUploads().filter { $0.destination == destination.name }
        } catch {
            logger.error("crash recovery: cannot read the open destination uploads", metadata: ["error": "\(error)"])
            return
        }
        for lane in open {
            guard let uploadID = lane.uploadID, let key = lane.objectKey else { continue }
            let metadata: Logger.Metadata = [
                "run.id": "\(lane.runID)", "s3.destination": "\(destination.name)", "s3.key": "\(key)", "s3.upload_id": "\(uploadID)"]
            await abortInterruptedUpload(key: key, uploadID: uploadID, destination: destination, store: store, at: time, metadata: metadata) {
                try history.markDestinationUploadClosed(runID: lane.runID, position: lane.position)
            }
        }
    }
}
