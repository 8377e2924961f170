import Foundation

extension RunCoordinator {
    /// A run that `start` refused: logged at error priority, recorded as skipped when the history
    /// can still be written (a scheduled one; a run-now request is answered, not recorded), and
    /// its run-now clients told why.
    func refuse(_ run: ScheduledRun, reason: String) {
        logger.error("run refused: this daemon no longer owns its state", metadata: [
            "job.name": "\(run.job)", "run.scheduled_for": "\(run.scheduledFor)", "run.trigger": "\(run.trigger.rawValue)",
            "ownership.problem": "\(reason)"])
        if run.trigger != .runNow { recordSkipped(run, reason: "refused: \(reason)") }
        let waiters = state.withLock { $0.pending.removeValue(forKey: run.job) ?? [] }
        for waiter in waiters {
            waiter.reply.finish(ControlEvent(.refused, message: "job \(run.job) was not started: \(reason)"))
        }
        scheduler.runFinished(job: run.job)
    }

    /// Records a scheduled run that did not start as a `skipped` row with `reason`.
    func recordSkipped(_ run: ScheduledRun, reason: String) {
        do {
            _ = try history.insertSkipped(job: run.job, trigger: run.trigger, scheduledAt: run.scheduledFor, at: clock.now(), reason: reason)
        } catch {
            logger.error("a skipped run cannot be recorded in the history", metadata: [
                "job.name": "\(run.job)", "run.scheduled_for": "\(run.scheduledFor)", "run.reason": "\(reason)", "error": "\(error)"])
        }
    }
}
