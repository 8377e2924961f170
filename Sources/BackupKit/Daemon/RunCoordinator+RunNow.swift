import Foundation

extension RunCoordinator {
    /// A run the scheduler did not start: a scheduled one is recorded as skipped; a run-now
    /// request is answered to its client (attached to the run in progress with `--wait`).
    func skipped(_ run: ScheduledRun, reason: SkipReason) {
        logger.warning("run skipped", metadata: ["job.name": "\(run.job)", "run.reason": "\(reason.description)", "run.scheduled_for": "\(run.scheduledFor)"])
        // A refused run-now request is answered to its client, not recorded: it was never a run.
        guard run.trigger == .runNow else { return recordSkipped(run, reason: reason.description) }
        // Requests are serialised (`submissions`): the newest waiter of the job made this request.
        state.withLock { state in
            guard var waiters = state.pending[run.job], let waiter = waiters.popLast() else { return }
            state.pending[run.job] = waiters.isEmpty ? nil : waiters
            switch reason {
            case .stillRunning:
                guard var active = state.running[run.job] else {
                    waiter.reply.finish(ControlEvent(.refused, message: "job \(run.job) is already running; no second run was started"))
                    return
                }
                let since = active.startedAt.map { " since \(ISO8601DateFormatter().string(from: $0))" } ?? ""
                let name = active.runID.map { "run \($0)" } ?? "a run"
                if waiter.wait {
                    waiter.reply.send(ControlEvent(.attached, run: active.runID, message: "job \(run.job) is already running (\(name)\(since), trigger \(active.trigger.rawValue)); waiting for its result"))
                    active.waiters.append(waiter)
                    state.running[run.job] = active
                } else {
                    waiter.reply.finish(ControlEvent(.refused, run: active.runID, message: "job \(run.job) is already running (\(name)\(since), trigger \(active.trigger.rawValue)); no second run was started (run-now --wait waits for its result)"))
                }
            case .alreadyQueued where waiter.wait:
                waiter.reply.send(ControlEvent(.queued, message: "a run of job \(run.job) is already queued (maxConcurrentJobs); waiting for it"))
                state.pending[run.job, default: []].insert(waiter, at: 0)
            case .unknownJob:
                waiter.reply.finish(ControlEvent(.error, message: "the daemon does not schedule job \(run.job): it is disabled or not in the config the daemon loaded (systemctl reload backupd reloads it)"))
            default:
                waiter.reply.finish(ControlEvent(.refused, message: "job \(run.job): \(reason.description)"))
            }
        }
    }

    // MARK: - run-now over the control socket

    /// Serves a run-now request: asks the scheduler (overlap and concurrency rules hold) and
    /// answers through `reply` as the run goes on.
    func submit(_ request: ControlRequest, reply: ControlReply) {
        let waiter = Waiter(reply: reply, wait: request.wait ?? false)
        let config = configs.current
        let (stopping, accepting) = state.withLock { ($0.stopping, $0.accepting) }
        guard let job = config.job(named: request.job) else {
            let names = config.jobs.map(\.name).joined(separator: ", ")
            reply.finish(ControlEvent(.error, message: "no job named \"\(request.job)\" in the daemon's config \(configs.path); jobs: \(names)"))
            return
        }
        guard !stopping, accepting else {
            reply.finish(ControlEvent(.error, message: "backupd is \(stopping ? "stopping" : "starting"); try again"))
            return
        }
        submissions.withLock { _ in
            state.withLock { $0.pending[job.name, default: []].append(waiter) }
            for action in scheduler.requestRun(job: job.name) { handle(action) }
        }
    }

    /// Starts a run of `job` now (tests, and what the control socket ends in).
    func runNow(job: String) {
        scheduler.runNow(job: job)
    }
}
