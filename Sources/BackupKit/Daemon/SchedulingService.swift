import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// The scheduler with its runs, as a `Service`: runs the `SchedulerService`, hands its decisions
/// to the coordinator, and runs each started backup or verification as a child task. On graceful
/// shutdown it stops scheduling, lets runs finish for up to `shutdownGracePeriod`, then cancels
/// the rest (Task cancellation reaches each run's pipeline). Sends READY=1 once scheduling runs:
/// nothing before it touches the network.
struct SchedulingService: Service {
    let scheduler: SchedulerService
    let coordinator: RunCoordinator
    let configs: ConfigStore
    /// Read for each job's last run (the catch-up rules) when scheduling starts.
    let history: HistoryStore
    /// Whether the jobs' scheduled verifications are scheduled too.
    let verifications: Bool
    let status: DaemonStatus
    let logger: Logger

    func run() async throws {
        let (scheduler, coordinator, logger) = (self.scheduler, self.coordinator, self.logger)
        let config = configs.current
        // The jobs go in now, after the state lock, as a reload would put them: what is due now
        // (catch-up runs) is decided at the first wake.
        scheduler.replaceJobs(
            try Daemon.scheduledItems(config, history: history, verifications: verifications),
            configuration: Daemon.schedulerConfiguration(config))
        status.logSchedule(config)
        coordinator.accept()
        status.notify { try $0.ready(status: status.statusLine()) }

        await withDiscardingTaskGroup { group in
            group.addTask { await scheduler.run() }
            group.addTask {
                for await action in scheduler.actions { coordinator.handle(action) }
            }
            group.addTask {
                // Ends on graceful shutdown, or throws on cancellation: either way, stop starting runs.
                try? await gracefulShutdown()
                scheduler.stop()
                coordinator.beginStopping()
            }
            for await run in coordinator.starts {
                group.addTask {
                    if coordinator.isVerification(run) {
                        await coordinator.verify(run)
                    } else {
                        await coordinator.perform(run)
                    }
                }
            }
            let grace = configs.current.shutdownGracePeriod
            let running = coordinator.runningJobs
            if !running.isEmpty {
                logger.notice("waiting for running backups", metadata: ["jobs.running": "\(running.joined(separator: ","))", "stop.grace": "\(DurationText.format(grace))"])
            }
            if !(await coordinator.waitForRuns(timeout: grace)) {
                coordinator.setStopReason("backupd was stopped and the shutdown grace period of \(DurationText.format(grace)) ran out")
                for job in coordinator.runningJobs { logger.warning("cancelling backup", metadata: ["job.name": "\(job)"]) }
                group.cancelAll()
            }
        }
    }
}
