import BackupHistory
import Foundation
import Logging

extension RecoveryService {
    /// What each lane of `run` holds: stored where its backup is complete (manifest
    /// written), failed where it dropped out before the crash, interrupted elsewhere. Nil when a
    /// lane cannot be checked (the run is left `running`, retried at the next start).
    func checkLanes(_ run: RunRecord, lanes: [DestinationUpload]) async -> [Int: DestinationOutcome]? {
        var results: [Int: DestinationOutcome] = [:]
        for lane in lanes {
            if lane.status == .failed {
                // It dropped out before the crash: its recorded failure is the truth, not the crash.
                results[lane.position] = lane.lane
                continue
            }
            var state = LaneState.failed(LaneFailure(reason: Self.interruptedReason, interrupted: true, objectKey: lane.objectKey))
            if let key = lane.objectKey, let destination = configs.current.destination(named: lane.destination) {
                do {
                    let store = try stores.store(for: destination, logger: logger)
                    if let object = try await Self.completedObject(store: store, key: key, job: run.job) {
                        state = .stored(LaneReceipt(objectKey: key, bytesStored: object.size, sha256: object.metadata["sha256"]))
                    }
                } catch {
                    logger.error("crash recovery: cannot check a run's object at a destination; retried at the next start", metadata: [
                        "run.id": "\(run.id)", "s3.destination": "\(lane.destination)", "s3.key": "\(key)", "error": "\(error)"])
                    return nil
                }
            }
            results[lane.position] = DestinationOutcome(destination: lane.destination, bucket: lane.bucket, state: state)
        }
        return results
    }

    /// Records `run` with its lanes' `results`, once their uploads were dealt with.
    func record(_ run: RunRecord, results: [Int: DestinationOutcome], lanes: [DestinationUpload], at time: Date) {
        do {
            guard let status = try history.reconcileDestinations(runID: run.id, at: time, results: results, reason: Self.interruptedReason)
            else { return }
            let stored = lanes.filter { results[$0.position]?.status == .succeeded }.map(\.destination)
            if status == .succeeded {
                logger.notice("a run's backup was complete although its end was not recorded; recorded as succeeded", metadata: [
                    "job.name": "\(run.job)", "run.id": "\(run.id)", "run.stored_at": "\(stored.joined(separator: ","))"])
            } else {
                logger.warning("run was interrupted by a crash", metadata: [
                    "job.name": "\(run.job)", "run.id": "\(run.id)", "run.started_at": "\(run.startedAt)", "run.status": "\(status.rawValue)",
                    "run.stored_at": "\(stored.joined(separator: ","))"])
            }
        } catch {
            logger.error("cannot record an interrupted run", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
    }
}
