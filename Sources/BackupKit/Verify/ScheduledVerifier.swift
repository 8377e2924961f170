import BackupCore
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// Scheduled verification (`"verify": {"schedule": "CRON", "restoreTo": "SCRATCH"}`): verifies a
/// job's latest backup at every destination (with the drill when configured: `restoreToDir` for a
/// PITR job) and records each (trigger `verify-schedule`); a PITR job's WAL chain too.
///
/// The daemon schedules verifications on its one `SchedulerService` (items `verify:NAME`, see
/// `ScheduledWork`), so `maxConcurrentJobs` and the overlap rule hold for them, and calls
/// `verify(job:config:)`. Run on its own (`run()`), it schedules the config's verifications alone
/// on a scheduler of its own, through the same state machine.
public struct ScheduledVerifier: Service {
    /// Verifies and records.
    public let runner: VerifyRunner
    /// The config in force (read at each verification, so a reload applies).
    public let config: @Sendable () -> BackupConfig
    /// The source of time.
    public let clock: any WallClock
    /// Waits (tests pass a fast one); must throw on cancellation.
    public let sleep: @Sendable (Duration) async throws -> Void
    /// Where it logs.
    public let logger: Logger

    /// Creates the service.
    public init(
        runner: VerifyRunner, config: @escaping @Sendable () -> BackupConfig, clock: any WallClock, logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.runner = runner
        self.config = config
        self.clock = clock
        self.logger = logger
        self.sleep = sleep
    }

    /// The longest single wait, so that a stepped wall clock is noticed within it.
    static let maxWait: Duration = SchedulerService.maxSleep

    /// Schedules and runs the config's verifications, one at a time, until cancelled; occurrences
    /// that pass while one runs are skipped (the state machine's overlap rule).
    public func run() async throws {
        let scheduler = SchedulerService(
            jobs: ScheduledWork.verificationItems(config()), configuration: .init(maxConcurrentJobs: 1), clock: clock, logger: logger,
            sleep: sleep, watchClockChanges: false)
        await withDiscardingTaskGroup { group in
            group.addTask { await scheduler.run() }
            for await action in scheduler.actions {
                guard case .start(let run) = action else { continue }
                if case .verification(let name) = ScheduledWork(item: run.job) {
                    let current = config()
                    if let job = current.job(named: name) { await verify(job: job, config: current) }
                }
                scheduler.runFinished(job: run.job)
                if Task.isCancelled { scheduler.stop() }
            }
        }
    }

    /// Verifies one job's latest backup at each of its destinations (cancelling the task stops it).
    /// The drill, when configured, runs once: at the first destination whose copy verifies (every
    /// copy holds the same bytes, which each verification checks by digest).
    public func verify(job: JobConfig, config: BackupConfig) async {
        var drill = config.verifySettings(for: job)?.restoreTo
        var pitrDrill = config.verifySettings(for: job)?.restoreToDir
        var baseFailed: Set<String> = []
        for destination in job.destinations {
            if Task.isCancelled { return }
            var log = logger
            log[metadataKey: "job.name"] = "\(job.name)"
            log[metadataKey: "s3.destination"] = "\(destination)"
            do {
                let reports = try await runner.run(
                    job: job.only(destination: destination), config: config, selection: .latest, restoreTo: drill, restoreToDir: pitrDrill,
                    trigger: .schedule, logger: log)
                if reports.contains(where: { $0.drill != nil }) { (drill, pitrDrill) = (nil, nil) }
                if reports.contains(where: \.backupFailed) { baseFailed.insert(destination) }
            } catch let error where Task.isCancelled {
                log.notice("scheduled verification stopped", metadata: ["stop.reason": "\(StopReason.text)", "error": "\(error)"])
            } catch {
                log.error("scheduled verification could not run", metadata: ["error": "\(error)"])
            }
        }
        if Task.isCancelled { return }
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        await runner.recordWALChains(job: job, config: config, destinations: job.destinations, trigger: .schedule, baseFailedAt: baseFailed, logger: log)
    }
}
