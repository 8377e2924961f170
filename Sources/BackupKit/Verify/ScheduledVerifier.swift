import Foundation
import Logging
import ServiceLifecycle

/// The daemon's scheduled verification (`"verify": {"schedule": "CRON", "restoreTo": "SCRATCH"}`):
/// sleeps until the next due job, verifies its latest backup at every destination (with the drill
/// when configured) and records each (trigger `verify-schedule`). Ends promptly when cancelled.
public struct ScheduledVerifier: Service {
    /// Verifies and records.
    public let runner: VerifyRunner
    /// The config in force (re-read before every wait, so a reload applies).
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
    static let maxWait: Duration = .seconds(60)

    /// Runs until cancelled.
    public func run() async throws {
        var last = clock.now()
        while !Task.isCancelled {
            let current = config()
            let due = VerifySchedule.next(after: last, in: current)
            guard let at = due.first?.at else {
                try await sleep(Self.maxWait)
                last = clock.now()
                continue
            }
            let wait = at.timeIntervalSince(clock.now())
            if wait > 0 {
                // Rounded up: a wait truncated to 0 ms would spin until the clock passed the due time.
                try await sleep(min(Self.maxWait, .milliseconds(Int64((wait * 1000).rounded(.up)))))
                continue
            }
            for item in due {
                guard let job = current.job(named: item.job) else { continue }
                await verify(job: job, config: current)
            }
            // Occurrences that passed while verifying are skipped, not run back to back.
            last = max(at, clock.now())
        }
    }

    /// Verifies one job's latest backup at each of its destinations (cancelling the task stops it).
    /// The drill, when configured, runs once: at the first destination whose copy verifies (every
    /// copy holds the same bytes, which each verification checks by digest).
    func verify(job: JobConfig, config: BackupConfig) async {
        var drill = config.verifySettings(for: job)?.restoreTo
        for destination in job.destinations {
            var log = logger
            log[metadataKey: "job.name"] = "\(job.name)"
            if job.destinations.count > 1 { log[metadataKey: "s3.destination"] = "\(destination)" }
            do {
                let reports = try await runner.run(
                    job: job.only(destination: destination), config: config, selection: .latest, restoreTo: drill,
                    trigger: .schedule, logger: log)
                if reports.contains(where: { $0.drill != nil }) { drill = nil }
            } catch {
                log.error("scheduled verification could not run", metadata: ["error": "\(error)"])
            }
        }
    }
}
