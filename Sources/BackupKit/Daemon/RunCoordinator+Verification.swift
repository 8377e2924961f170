import BackupCore
import Foundation

extension RunCoordinator {
    /// Whether `run` is a scheduled verification (an item `verify:NAME`) rather than a backup.
    func isVerification(_ run: ScheduledRun) -> Bool {
        if case .verification = ScheduledWork(item: run.job) { return true }
        return false
    }

    /// Starts a verification the scheduler decided on (it counts against `maxConcurrentJobs`
    /// like a backup); refused while the daemon does not own its state or is stopping.
    func startVerification(_ run: ScheduledRun) {
        if let refusal {
            logger.error("scheduled verification refused: this daemon no longer owns its state", metadata: [
                "verify.item": "\(run.job)", "ownership.problem": "\(refusal)"])
            return scheduler.runFinished(job: run.job)
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, verifier != nil else { return false }
            state.verifying.insert(run.job)
            startContinuation.yield(run)
            return true
        }
        if !accepted { scheduler.runFinished(job: run.job) }
    }

    /// Performs a started verification (a child task of the scheduling service) with the config
    /// in force, then reports its end to the scheduler.
    func verify(_ run: ScheduledRun) async {
        if case .verification(let name) = ScheduledWork(item: run.job), let verifier {
            let config = configs.current
            if let job = config.job(named: name) {
                // Cancelled (the grace period ran out), the verification records why it stopped.
                let reason = StopReason()
                await withTaskCancellationHandler {
                    await StopReason.$current.withValue(reason) { await verifier.verify(job: job, config: config) }
                } onCancel: {
                    reason.set(state.withLock { $0.stopReason })
                }
            }
        }
        state.withLock { _ = $0.verifying.remove(run.job) }
        scheduler.runFinished(job: run.job)
    }
}
