import Foundation

extension RunCoordinator {
    /// Re-reads the config; a bad file is logged and the old config kept. Runs in progress go on.
    func reload() {
        notify { try $0.reloading(status: "reloading \(self.configPath)") }
        do {
            let (config, warnings) = try BackupConfig.load(path: configPath, sources: dependencies.sources)
            for warning in warnings { logger.warning("\(warning.description)") }
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
}
