import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import Synchronization

/// Backup metrics by job, updated by every run (as a `RunObserver`) and seeded from the history
/// at start, so a restart keeps the last-success times and the counters' totals. Rendered in the
/// Prometheus text format by `MetricsExposition`.
public final class MetricsRegistry: RunObserver, VerificationObserver {
    private struct State {
        var config: BackupConfig
        var jobs: [String: JobMetrics] = [:]
    }

    private let state: Mutex<State>
    private let clock: any WallClock
    /// Read at each scrape for the verification and pending-abort metrics (nil: they are left out).
    private let history: HistoryStore?
    /// The fleet gauges of `runOn: "any"` jobs, filled from the buckets by `FleetMetricsService`
    /// (empty without one) and asked to refresh after each of this host's runs of such a job.
    public let fleet = FleetMetrics()

    /// An empty registry for `config`'s jobs; with `history`, its verifications and pending aborts
    /// are read at each scrape.
    public init(config: BackupConfig, clock: any WallClock, reading history: HistoryStore? = nil) {
        state = Mutex(State(config: config))
        self.clock = clock
        self.history = history
    }

    /// A registry seeded from `history`: each job's newest run and success, its run totals, and
    /// per destination of each job the bytes stored there and the newest size.
    public convenience init(config: BackupConfig, clock: any WallClock, history: HistoryStore) throws {
        self.init(config: config, clock: clock, reading: history)
        let names = config.jobs.map(\.name)
        let last = try history.lastRuns(jobs: names)
        let lastEnded = try Dictionary(uniqueKeysWithValues: names.compactMap { name in
            try history.runs(HistoryQuery(job: name, limit: 10)).first { $0.status != .running && $0.status != .skipped && $0.status != .claimed }.map { (name, $0) }
        })
        let successes = try history.lastRuns(jobs: names, status: .succeeded)
        let totals = try history.runTotals()
        let stored = try history.destinationTotals()
        let verified = try Dictionary(uniqueKeysWithValues: names.map { ($0, try history.lastVerificationResults(job: $0)) })
        state.withLock { state in
            for name in names {
                var metrics = JobMetrics()
                if let run = last[name] {
                    metrics.lastStart = run.startedAt
                    metrics.firstSlot = run.scheduledAt ?? run.startedAt
                }
                if let run = lastEnded[name] {
                    metrics.lastEnd = run.endedAt
                    metrics.lastStatus = run.status
                    metrics.lastDuration = run.duration
                }
                if let run = successes[name] {
                    metrics.lastSuspicious = run.isSuspicious
                    metrics.lastSuccess = run.endedAt ?? run.startedAt
                    metrics.lastSuccessSlot = run.scheduledAt ?? run.startedAt
                }
                for total in totals where total.job == name {
                    metrics.runs[total.status, default: 0] += total.count
                }
                for destination in stored where destination.job == name && !destination.destination.isEmpty {
                    metrics.bytesUploaded[destination.destination, default: 0] += destination.bytesStored
                    metrics.lastSizes[destination.destination] = destination.lastSize
                }
                for record in verified[name] ?? [] where metrics.verifications[record.destination ?? ""] == nil {
                    metrics.verifications[record.destination ?? ""] = JobMetrics.Verification(at: record.endedAt, passed: record.passed)
                }
                state.jobs[name] = metrics
            }
        }
    }

    /// The history's verifications and pending aborts for `config`'s jobs now; nil without a
    /// history or when it cannot be read (those metrics are then left out of this scrape).
    public func historyMetrics(for config: BackupConfig) -> HistoryMetrics? {
        guard let history else { return nil }
        return try? HistoryMetrics.read(from: history, jobs: config.jobs.map(\.name))
    }

    /// Replaces the config (after a reload): next runs and overdue follow the new schedules.
    public func update(config: BackupConfig) {
        state.withLock { $0.config = config }
    }

    /// A consistent copy of the config and every job's metrics.
    public func snapshot() -> (config: BackupConfig, jobs: [String: JobMetrics], now: Date) {
        let now = clock.now()
        return state.withLock { ($0.config, $0.jobs, now) }
    }

    public func runStarted(_ run: ObservedRun) {
        state.withLock { state in
            var metrics = state.jobs[run.job.name] ?? JobMetrics()
            metrics.lastStart = run.startedAt
            metrics.running = true
            if metrics.firstSlot == nil { metrics.firstSlot = run.scheduledFor ?? run.startedAt }
            state.jobs[run.job.name] = metrics
        }
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
        state.withLock { state in
            var metrics = state.jobs[run.job.name] ?? JobMetrics()
            metrics.running = false
            metrics.lastEnd = outcome.endedAt
            metrics.lastStatus = outcome.status
            metrics.lastDuration = outcome.endedAt.timeIntervalSince(run.startedAt)
            metrics.runs[outcome.status, default: 0] += 1
            if outcome.status == .succeeded || outcome.status == .partial {
                metrics.lastSuspicious = outcome.suspicious != nil
            }
            if outcome.status == .succeeded {
                metrics.lastSuccess = outcome.endedAt
                // Only schedule-driven slots count toward overdue; a run-now still proves the job works.
                metrics.lastSuccessSlot = run.scheduledFor ?? run.startedAt
            }
            // Each destination that stored the backup (also of a partial run) uploaded it.
            for lane in outcome.completingLanes(run.destinations).destinations {
                guard case .stored(let receipt) = lane.state else { continue }
                metrics.bytesUploaded[lane.destination, default: 0] += receipt.bytesStored ?? 0
                if let bytes = receipt.bytesStored { metrics.lastSizes[lane.destination] = bytes }
            }
            for (destination, count) in outcome.retries { metrics.retries[destination, default: 0] += Int64(count) }
            state.jobs[run.job.name] = metrics
        }
        if run.job.runOn == .any { fleet.requestRefresh() }
    }

    /// A verification that ran sets its destination's result; one that could not run (a local
    /// tool is missing) changes nothing, so the timestamp ages and shows that nothing was verified.
    public func verificationFinished(_ record: VerificationRecord, job: JobConfig, logger: Logger) {
        guard !record.couldNotRun else { return }
        state.withLock { state in
            var metrics = state.jobs[job.name] ?? JobMetrics()
            metrics.verifications[record.destination ?? ""] = JobMetrics.Verification(at: record.endedAt, passed: record.passed)
            state.jobs[job.name] = metrics
        }
    }
}
