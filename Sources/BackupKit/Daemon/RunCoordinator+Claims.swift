import BackupCore
import ConfigKit
import Foundation
import Logging

extension RunCoordinator {
    /// What takes `run`'s backup on this host. A `runOn: "any"` job's scheduled slot is claimed
    /// first: the winner's executor holds the claim (`FencedExecutor`); a slot another host ran is
    /// recorded as `claimed by HOST` and gives nil (nothing else happens); a claim that could not
    /// be decided gives an executor that records the run as failed with the reason. run-now
    /// requests and `runOn: "this"` jobs run as they always did.
    func claimedExecutor(_ run: ScheduledRun, job: JobConfig, config: BackupConfig) async -> (any BackupExecutor)? {
        guard job.runOn == .any, run.trigger != .runNow else { return executor }
        // A watch ends before the next slot (less a margin of up to 2 s), so that slot is not skipped as an overlap.
        let next = job.cronSchedule.next(after: run.scheduledFor)
        let until = next.map { $0.addingTimeInterval(-min(2, $0.timeIntervalSince(run.scheduledFor) / 2)) }
        let clock = self.clock
        switch await claimer.claim(
            job: job, config: config, slot: run.scheduledFor, watchUntil: until, now: { clock.now() }, logger: logger)
        {
        case .run(let fence):
            return FencedExecutor(base: executor, fence: fence, lease: config.claimLease)
        case .claimedBy(let host):
            logger.info("slot claimed by another host", metadata: [
                "job.name": "\(job.name)", "claim.holder": "\(host)", "run.scheduled_for": "\(run.scheduledFor)"])
            do {
                _ = try history.insertClaimed(job: job.name, trigger: run.trigger, scheduledAt: run.scheduledFor, at: clock.now(), host: host)
            } catch {
                logger.error("cannot record the claimed slot in the history", metadata: ["job.name": "\(job.name)", "error": "\(error)"])
            }
            return nil
        case .failed(let reason):
            return RefusedExecutor(reason: reason, clock: clock)
        }
    }
}
