import BackupHistory
import ConfigKit
import Foundation
import Logging
import Synchronization

/// What SIGHUP does: reads the config file again and, when it is valid and changes nothing that
/// needs a restart, puts it in force (`ConfigStore`), hands the new jobs to the scheduler and runs
/// the reload hooks (metrics). A bad file is logged and the old config kept; runs in progress go on.
final class ConfigReloader: Sendable {
    private let configs: ConfigStore
    private let sources: ConfigSources
    private let scheduler: SchedulerService
    private let history: HistoryStore
    private let status: DaemonStatus
    private let hooks: [@Sendable (BackupConfig) -> Void]
    private let schedulesVerifications: Bool
    private let logger: Logger
    /// The lock on the state directory a refused reload named, held until a restart moves there.
    private let reservation = Mutex<StateLock?>(nil)

    init(
        configs: ConfigStore, sources: ConfigSources, scheduler: SchedulerService, history: HistoryStore, status: DaemonStatus,
        hooks: [@Sendable (BackupConfig) -> Void], schedulesVerifications: Bool, logger: Logger
    ) {
        self.configs = configs
        self.sources = sources
        self.scheduler = scheduler
        self.history = history
        self.status = status
        self.hooks = hooks
        self.schedulesVerifications = schedulesVerifications
        self.logger = logger
    }

    /// Re-reads the config; a bad file is logged and the old config kept.
    func reload() {
        let path = configs.path
        status.notify { try $0.reloading(status: "reloading \(path)") }
        do {
            let (config, warnings) = try BackupConfig.load(path: path, sources: sources)
            for warning in warnings { logger.warning("\(warning.description)") }
            let changes = configs.current.restartOnlyChanges(to: config)
            guard changes.isEmpty else {
                logger.error("config reload refused: a setting that needs a restart changed; keeping the previous config", metadata: [
                    "config.path": "\(path)", "config.changes": "\(changes.joined(separator: "; "))"])
                for change in changes {
                    logger.error("config reload refused: \(change); restart backupd to apply it (systemctl restart backupd)")
                }
                reserve(stateDirectory: config.stateDirectory)
                status.notify { try $0.ready(status: "config reload refused (\(changes.count) setting(s) need a restart); " + status.statusLine()) }
                return
            }
            reserve(stateDirectory: nil)
            let items = try Daemon.scheduledItems(config, history: history, verifications: schedulesVerifications)
            configs.replace(with: config)
            scheduler.replaceJobs(items, configuration: Daemon.schedulerConfiguration(config))
            for hook in hooks { hook(config) }
            logger.notice("config reloaded", metadata: ["config.path": "\(path)", "config.jobs": "\(config.jobs.count)"])
            status.logSchedule(config)
        } catch let error as ConfigError {
            logger.error("config reload failed; keeping the previous config", metadata: ["config.path": "\(path)", "config.problems": "\(error.errors.count)"])
            for problem in error.problems { logger.error("\(problem.description)") }
        } catch {
            logger.error("config reload failed; keeping the previous config", metadata: ["error": "\(error)"])
        }
        status.notify { try $0.ready(status: status.statusLine()) }
    }

    /// Holds the lock of the state directory the config file now names (nil or the daemon's own:
    /// releases it), so that a run-now reading that file does not run beside this daemon, which
    /// stays on its own directory until restarted.
    private func reserve(stateDirectory directory: String?) {
        let current = configs.current.stateDirectory
        guard let directory, !BackupConfig.sameDirectory(directory, current) else {
            reservation.withLock { $0 = nil }
            return
        }
        if let held = reservation.withLock({ $0 }), BackupConfig.sameDirectory(held.stateDirectory, directory) { return }
        do {
            let lock = try StateLock.acquire(stateDirectory: directory, role: .reserved)
            reservation.withLock { $0 = lock }
            logger.notice("holding the state directory the config now names until a restart", metadata: ["lock.path": "\(lock.path)"])
        } catch {
            reservation.withLock { $0 = nil }
            logger.warning("cannot hold the state directory the config now names", metadata: ["error": "\(error)"])
        }
    }
}
