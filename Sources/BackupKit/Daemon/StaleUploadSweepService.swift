import BackupCore
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// Once after start, in the background: aborts multipart uploads older than a day under every
/// job's prefix at each of its destinations (left by a crash before their id was recorded, or by
/// a job since removed; `UploadSweeper` handles the job's own names sooner, by the job's timeout). Each destination within
/// `timeout`, concurrently, so one that never answers holds up nothing else. A `runOn: "any"`
/// job's prefix is swept, at each of its destinations, only under the job's sweep claim (`claims`),
/// so two hosts never sweep one job at once; a prefix a job of this host alone shares is swept too.
struct StaleUploadSweepService: Service {
    let configs: ConfigStore
    let stores: any ObjectStoreProvider
    let clock: any WallClock
    let timeout: Duration
    let logger: Logger
    /// Takes `runOn: "any"` jobs' sweep claims (nil: those jobs are swept unclaimed).
    var claims: JobTaskClaimer? = nil

    /// Cancellation (a stop, through `UntilShutdown`) ends the requests in flight at once, so it never holds up the stop.
    func run() async throws {
        let config = configs.current
        let logger = self.logger
        let timeout = self.timeout
        let dayAgo = clock.now().addingTimeInterval(-86_400)
        var prefixes: [String: Set<String>] = [:]
        let claims = self.claims
        let fleetJobs = claims == nil ? [] : config.jobs.filter { $0.runOn == .any }
        for job in config.jobs where claims == nil || job.runOn != .any {
            for name in job.destinations where config.destination(named: name) != nil {
                prefixes[name, default: []].insert(job.prefix.isEmpty ? "" : job.prefix + "/")
            }
        }
        let stores = self.stores
        await withDiscardingTaskGroup { group in
            for (name, prefixes) in prefixes {
                guard let destination = config.destination(named: name) else { continue }
                group.addTask {
                    let finished: Void? = await TaskDeadline.run(timeout: timeout, reason: "the sweep of stale uploads took too long") {
                        await Self.sweep(destination: destination, prefixes: prefixes.sorted(), olderThan: dayAgo, stores: stores, logger: logger)
                    }
                    if finished == nil {
                        logger.warning("the sweep of stale uploads did not finish in time", metadata: [
                            "s3.destination": "\(name)", "cleanup.timeout": "\(DurationText.format(timeout))"])
                    }
                }
            }
            for job in fleetJobs {
                guard let claims else { continue }
                group.addTask {
                    _ = await claims.claimed(.sweep, job: job, config: config, logger: logger) { (watch: TaskClaimWatch) in
                        // A claim lost midway (another host took it over) stops the sweep before its next abort.
                        let guarded = ClaimGuardedStoreProvider(base: stores, watch: watch)
                        await Self.sweepClaimed(job: job, config: config, olderThan: dayAgo, stores: guarded, timeout: timeout, logger: logger)
                    }
                }
            }
        }
    }

    /// One `runOn: "any"` job's sweep, under its claim: its prefix at each of its destinations,
    /// each within `timeout`.
    private static func sweepClaimed(
        job: JobConfig, config: BackupConfig, olderThan date: Date, stores: any ObjectStoreProvider, timeout: Duration, logger: Logger
    ) async {
        let prefix = job.prefix.isEmpty ? "" : job.prefix + "/"
        for name in job.destinations {
            guard let destination = config.destination(named: name) else { continue }
            let finished: Void? = await TaskDeadline.run(timeout: timeout, reason: "the sweep of stale uploads took too long") {
                await sweep(destination: destination, prefixes: [prefix], olderThan: date, stores: stores, logger: logger)
            }
            if finished == nil {
                logger.warning("the sweep of stale uploads did not finish in time", metadata: [
                    "s3.destination": "\(name)", "job.name": "\(job.name)", "cleanup.timeout": "\(DurationText.format(timeout))"])
            }
        }
    }

    private static func sweep(destination: DestinationConfig, prefixes: [String], olderThan date: Date, stores: any ObjectStoreProvider, logger: Logger) async {
        for prefix in prefixes {
            do {
                let store = try stores.store(for: destination, logger: logger)
                for upload in try await store.openUploads(prefix: prefix) where upload.initiated < date {
                    logger.warning("aborting a stale multipart upload", metadata: ["s3.destination": "\(destination.name)", "s3.key": "\(upload.key)", "s3.upload_id": "\(upload.uploadID)", "s3.initiated": "\(upload.initiated)"])
                    try await store.abortUpload(key: upload.key, uploadID: upload.uploadID)
                }
            } catch let error as TaskClaimError {
                logger.error("the sweep of stale uploads stopped before its next abort", metadata: ["s3.destination": "\(destination.name)", "error": "\(error)"])
                return
            } catch {
                logger.warning("cannot list stale multipart uploads", metadata: ["s3.destination": "\(destination.name)", "error": "\(error)"])
            }
        }
    }
}
