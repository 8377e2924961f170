import BackupCore
import ConfigKit
import Foundation
import Logging

extension Pruner {
    /// `backupd prune` for one job: a dry run, or a job that is not `runOn: "any"` (or no
    /// `claims`), prunes at once; a `runOn: "any"` job is pruned only under its prune claim, as
    /// the daemon's prune after a backup is, and then loses its run-slot claims older than the
    /// oldest backup kept in its first destination. Another host's live claim, or a claim that
    /// could not be taken, prunes nothing (`JobTaskClaimer.Outcome.refusal` says why).
    public func pruneJob(
        job: JobConfig, config: BackupConfig, only: [String]?, dryRun: Bool, claims: JobTaskClaimer?, logger: Logger
    ) async -> JobTaskClaimer.Outcome<[DestinationPrune]> {
        guard !dryRun, let claims, job.runOn == .any else {
            return .ran(await pruneDestinations(job: job, config: config, only: only, dryRun: dryRun, logger: logger))
        }
        return await claims.claimed(.prune, job: job, config: config, logger: logger) { (watch: TaskClaimWatch) in
            let pruner = guarded(by: watch)
            let pruned = await pruner.pruneDestinations(job: job, config: config, only: only, dryRun: false, logger: logger)
            await pruner.deleteOldSlotClaims(after: pruned, job: job, config: config, watch: watch, logger: logger)
            return pruned
        }
    }

    /// After a claimed prune: deletes the job's run-slot claims older than the oldest backup kept
    /// in the destination that keeps its claims (its first), when that destination was pruned
    /// from a plan that was not withheld; else deletes none.
    /// None either once `watch` says the prune claim was lost to another host, or lapsed.
    func deleteOldSlotClaims(after pruned: [DestinationPrune], job: JobConfig, config: BackupConfig, watch: TaskClaimWatch, logger: Logger) async {
        do {
            try watch.check()
        } catch {
            logger.warning("old slot claims not deleted: the prune claim is no longer held", metadata: ["job.name": "\(job.name)", "error": "\(error)"])
            return
        }
        let claimsKept = pruned.first { $0.destination == job.destinations.first }
        if case .success(let report)? = claimsKept?.result, let horizon = Pruner.claimHorizon(report) {
            _ = await pruneSlotClaims(job: job, config: config, horizon: horizon, logger: logger)
        }
    }
}

extension Pruner {
    /// This pruner with its stores guarded by `watch`: once the prune claim is lost to another
    /// host, every delete is refused (and recorded as refused, naming that host) before it is sent.
    public func guarded(by watch: TaskClaimWatch) -> Pruner {
        Pruner(stores: ClaimGuardedStoreProvider(base: stores, watch: watch), catalog: catalog, history: history, clock: clock, suspicion: suspicion)
    }
}

extension JobTaskClaimer.Outcome {
    /// Why a `task` of `job` did not run, for a command's stderr (nil when it ran).
    public func refusal(_ task: JobTaskClaimer.Kind, job: String) -> String? {
        switch self {
        case .ran:
            return nil
        case .heldBy(let host, let state):
            return "\(job): skipped, nothing deleted: host \(host) holds the job's \(task.rawValue) claim (state \(state)); run it again once that host is done"
        case .notTaken(let reason):
            return "\(job): skipped, nothing deleted: the job's \(task.rawValue) claim could not be taken (\(reason))"
        }
    }
}
