import Foundation
import Logging
import ServiceLifecycle

/// The scheduler as a `Service`: one wall-clock timer for the next due job; each started run is a
/// child task. On graceful shutdown it stops scheduling, lets runs finish for up to
/// `shutdownGracePeriod`, then cancels the rest (Task cancellation reaches each run's pipeline).
/// Sends READY=1 once scheduling runs: nothing before it touches the network.
struct SchedulingService: Service {
    let coordinator: RunCoordinator

    func run() async throws {
        let config = coordinator.config
        let logger = coordinator.logger
        let scheduler = SchedulerService(
            jobs: try coordinator.scheduledJobs(config), configuration: RunCoordinator.schedulerConfiguration(config),
            clock: coordinator.dependencies.clock, logger: logger,
            onAction: { [coordinator] action in coordinator.handle(action) })
        coordinator.attach(scheduler)
        scheduler.start()
        coordinator.logSchedule(config)
        coordinator.notify { try $0.ready(status: coordinator.statusLine()) }

        await withDiscardingTaskGroup { group in
            group.addTask { await scheduler.run() }
            group.addTask {
                // Ends on graceful shutdown, or throws on cancellation: either way, stop starting runs.
                try? await gracefulShutdown()
                scheduler.stop()
                coordinator.beginStopping()
            }
            for await run in coordinator.starts {
                group.addTask { await coordinator.perform(run) }
            }
            let grace = coordinator.config.shutdownGracePeriod
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
