import Foundation

extension RunCoordinator {
    /// Re-reads the config; a bad file is logged and the old config kept. Runs in progress go on.
    func reload() {
        notify { try $0.reloading(status: "reloading \(self.configPath)") }
        do {
            let (config, warnings) = try BackupConfig.load(path: configPath, sources: dependencies.sources)
            for warning in warnings { logger.warning("\(warning.description)") }
            let changes = self.config.restartOnlyChanges(to: config)
            guard changes.isEmpty else {
                logger.error("config reload refused: a setting that needs a restart changed; keeping the previous config", metadata: [
                    "config.path": "\(configPath)", "config.changes": "\(changes.joined(separator: "; "))"])
                for change in changes {
                    logger.error("config reload refused: \(change); restart backupd to apply it (systemctl restart backupd)")
                }
                reserve(stateDirectory: config.stateDirectory)
                notify { try $0.ready(status: "config reload refused (\(changes.count) setting(s) need a restart); " + self.statusLine()) }
                return
            }
            reserve(stateDirectory: nil)
            let jobs = try scheduledJobs(config)
            let scheduler = state.withLock { state -> SchedulerService? in
                state.config = config
                return state.scheduler
            }
            scheduler?.replaceJobs(jobs, configuration: Self.schedulerConfiguration(config))
            for hook in dependencies.reloaded { hook(config) }
            logger.notice("config reloaded", metadata: ["config.path": "\(configPath)", "config.jobs": "\(config.jobs.count)"])
            logSchedule(config)
        } catch let error as ConfigError {
            logger.error("config reload failed; keeping the previous config", metadata: ["config.path": "\(configPath)", "config.problems": "\(error.errors.count)"])
            for problem in error.problems { logger.error("\(problem.description)") }
        } catch {
            logger.error("config reload failed; keeping the previous config", metadata: ["error": "\(error)"])
        }
        notify { try $0.ready(status: self.statusLine()) }
    }

    /// The enabled jobs with their last run, for the scheduler's catch-up rules.
    func scheduledJobs(_ config: BackupConfig) throws -> [ScheduledJob] {
        let enabled = config.jobs.filter(\.enabled)
        let last = try history.lastRuns(jobs: enabled.map(\.name))
        return enabled.map { job in
            let record = last[job.name]
            let lastRun = record.map { max($0.scheduledAt ?? $0.startedAt, $0.startedAt) }
            return ScheduledJob(name: job.name, schedule: job.cronSchedule, catchUp: job.catchUp, lastRun: lastRun)
        }
    }

    static func schedulerConfiguration(_ config: BackupConfig) -> SchedulerStateMachine.Configuration {
        SchedulerStateMachine.Configuration(maxConcurrentJobs: config.maxConcurrentJobs)
    }

    func logSchedule(_ config: BackupConfig) {
        let now = dependencies.clock.now()
        for job in config.jobs {
            if job.enabled, let next = job.cronSchedule.next(after: now) {
                logger.info("job scheduled", metadata: ["job.name": "\(job.name)", "job.schedule": "\(job.schedule.text)", "job.next_run": "\(job.timeZone.iso8601(next))"])
            } else {
                logger.info("job disabled", metadata: ["job.name": "\(job.name)"])
            }
        }
    }

    /// Holds the lock of the state directory the config file now names (nil or the daemon's own:
    /// releases it), so that a run-now reading that file does not run beside this daemon, which
    /// stays on its own directory until restarted.
    func reserve(stateDirectory directory: String?) {
        let current = config.stateDirectory
        guard let directory, !BackupConfig.sameDirectory(directory, current) else {
            state.withLock { $0.reservation = nil }
            return
        }
        if let held = state.withLock({ $0.reservation }), BackupConfig.sameDirectory(held.stateDirectory, directory) { return }
        do {
            let lock = try StateLock.acquire(stateDirectory: directory, role: .reserved)
            state.withLock { $0.reservation = lock }
            logger.notice("holding the state directory the config now names until a restart", metadata: ["lock.path": "\(lock.path)"])
        } catch {
            state.withLock { $0.reservation = nil }
            logger.warning("cannot hold the state directory the config now names", metadata: ["error": "\(error)"])
        }
    }
}
