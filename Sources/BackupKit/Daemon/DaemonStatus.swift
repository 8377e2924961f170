import BackupCore
import ConfigKit
import Foundation
import Logging
import Synchronization

/// What the daemon tells systemd (READY=1, RELOADING=1, STOPPING=1, STATUS=, the watchdog) and
/// the facts its status line is made of: the backups running, the next due job, and why runs are
/// refused while the daemon does not own its state.
final class DaemonStatus: Sendable {
    private struct Facts {
        var running: [String] = []
        var refusal: String?
    }

    let notifier: SystemdNotifier
    private let clock: any WallClock
    private let configs: ConfigStore
    private let logger: Logger
    private let facts = Mutex(Facts())

    /// A status over the config in force in `configs`, told to `notifier`.
    init(notifier: SystemdNotifier, clock: any WallClock, configs: ConfigStore, logger: Logger) {
        self.notifier = notifier
        self.clock = clock
        self.configs = configs
        self.logger = logger
    }

    /// Why runs are refused now (the state lock or history is not this daemon's any more), or nil.
    var refusal: String? { facts.withLock { $0.refusal } }

    /// Refuses every run from now on with `reason` (nil: takes runs again), and says so to systemd.
    func setRefusal(_ reason: String?) {
        facts.withLock { $0.refusal = reason }
        notifyStatus()
    }

    /// The backups running now (names), as the status line shows them; tells systemd.
    func setRunning(_ jobs: [String]) {
        facts.withLock { $0.running = jobs.sorted() }
        notifyStatus()
    }

    /// Sends a notification; a failure is logged, never thrown (systemd is told what it can be).
    func notify(_ body: (SystemdNotifier) throws -> Void) {
        do {
            try body(notifier)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }

    /// STATUS= with the current status line.
    func notifyStatus() {
        notify { try $0.status(statusLine()) }
    }

    /// `refusing runs: ...; running: a, b; next: job at TIME` (or `no scheduled jobs`).
    func statusLine() -> String {
        let config = configs.current
        let (running, refusal) = facts.withLock { ($0.running, $0.refusal) }
        let now = clock.now()
        let next = config.jobs.filter(\.enabled).compactMap { job in job.cronSchedule.next(after: now).map { (job, $0) } }.min { $0.1 < $1.1 }
        var parts = refusal.map { ["refusing runs: \($0)"] } ?? []
        if !running.isEmpty { parts.append("running: \(running.joined(separator: ", "))") }
        if let (job, date) = next { parts.append("next: \(job.name) at \(job.timeZone.iso8601(date))") } else { parts.append("no scheduled jobs") }
        return parts.joined(separator: "; ")
    }

    /// Logs each job's next run (or that it is disabled) under `config`.
    func logSchedule(_ config: BackupConfig) {
        let now = clock.now()
        for job in config.jobs {
            if job.enabled, let next = job.cronSchedule.next(after: now) {
                logger.info("job scheduled", metadata: ["job.name": "\(job.name)", "job.schedule": "\(job.schedule.text)", "job.next_run": "\(job.timeZone.iso8601(next))"])
            } else {
                logger.info("job disabled", metadata: ["job.name": "\(job.name)"])
            }
        }
    }
}
