import BackupCore
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// Reads the fleet status of every `runOn: "any"` job from its buckets (claims and manifests, as
/// `backupd fleet` does) into `FleetMetrics`: at start, every `interval` (a minute) and soon after
/// each of this host's runs of such a job, never per scrape. Objects unchanged since the last
/// read (same ETag in the listing) are not downloaded again (`ReadCachingStoreProvider`), so a
/// refresh costs a listing per destination once the manifests are known. A job whose buckets
/// cannot be read keeps its last status (its `backupd_fleet_last_read_timestamp_seconds` ages).
/// `runOn: "this"` jobs are left out: only this host writes them, and `backupd_last_success_*` covers them.
public struct FleetMetricsService: Service {
    /// How often the buckets are read without a run to prompt it.
    public static let interval: Duration = .seconds(60)

    /// Where the statuses go.
    public let fleet: FleetMetrics
    /// The config in force.
    public let config: @Sendable () -> BackupConfig
    /// Reads the buckets.
    public let reader: FleetReader
    /// The source of time.
    public let clock: any WallClock
    /// How the wait between refreshes sleeps (cancelled when a run asks for a refresh first).
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// Where failed reads are reported.
    public let logger: Logger

    /// A service filling `fleet` from `stores` (wrapped in a read cache of its own).
    public init(fleet: FleetMetrics, config: @escaping @Sendable () -> BackupConfig, stores: any ObjectStoreProvider, clock: any WallClock, logger: Logger) {
        self.fleet = fleet
        self.config = config
        self.reader = FleetReader(stores: ReadCachingStoreProvider(base: stores))
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            await refresh()
            // Until the interval ends or a run asks for a refresh, whichever comes first; no polling.
            await withTaskGroup(of: Void.self) { [fleet, sleep] group in
                group.addTask { try? await sleep(Self.interval) }
                group.addTask { await fleet.refreshRequested() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Reads every `runOn: "any"` job of the config in force once.
    public func refresh() async {
        let config = config()
        let jobs = config.jobs.filter { $0.runOn == .any }
        fleet.retain(jobs: Set(jobs.map(\.name)))
        for job in jobs {
            if Task.isCancelled { return }
            do {
                let now = clock.now()
                fleet.update(try await reader.status(of: job, config: config, now: now), at: now)
            } catch {
                logger.warning(
                    "cannot read the job's fleet status from its buckets; its fleet metrics keep the last reading",
                    metadata: ["job.name": "\(job.name)", "error": "\(error)"])
            }
        }
    }
}
