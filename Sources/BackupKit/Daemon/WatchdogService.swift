import ServiceLifecycle

/// Pings systemd's watchdog at half its interval while the scheduler answers, so a wedged
/// scheduler gets the daemon restarted. Listed first in the group, so it is the last to stop
/// (cancelled through `UntilShutdown`) and keeps pinging while running backups finish.
struct WatchdogService: Service {
    let scheduler: SchedulerService
    let status: DaemonStatus

    func run() async throws {
        guard let interval = status.notifier.watchdogInterval else { return }
        while !Task.isCancelled {
            _ = scheduler.inspect { $0.nextWake }
            status.notify { try $0.watchdog() }
            try? await Task.sleep(for: interval / 2)
        }
    }
}
