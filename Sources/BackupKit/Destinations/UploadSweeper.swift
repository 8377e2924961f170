import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// Makes sure no multipart upload stays billed: retries the aborts that failed (kept in the
/// history as abort pending) until the provider confirms them, and aborts uploads under the
/// jobs' names, at each of a job's destinations, that no live run owns and that began longer ago
/// than the job's timeout (by the provider's `Initiated`). Runs at start and then every
/// `interval`; each abort is logged.
public struct UploadSweeper: Sendable {
    /// What one sweep did.
    public struct Report: Sendable, Hashable {
        /// Pending aborts now confirmed.
        public var confirmed: [String] = []
        /// Orphaned uploads aborted.
        public var orphansAborted: [String] = []
        /// Aborts that failed again (kept for the next sweep).
        public var stillPending: [String] = []
    }

    let history: HistoryStore
    let configuration: @Sendable () -> BackupConfig
    let stores: any ObjectStoreProvider
    let clock: any WallClock
    /// The time between sweeps.
    public let interval: Duration
    let logger: Logger

    /// The default time between sweeps: five minutes.
    public static let defaultInterval: Duration = .seconds(300)

    /// A sweeper over `history` for the config `configuration` returns (read at every sweep, so a
    /// reload takes effect), opening destinations through `stores`.
    public init(
        history: HistoryStore, configuration: @escaping @Sendable () -> BackupConfig, stores: any ObjectStoreProvider,
        clock: any WallClock, interval: Duration = UploadSweeper.defaultInterval, logger: Logger
    ) {
        self.history = history
        self.configuration = configuration
        self.stores = stores
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Sweeps now and every `interval` until the task is cancelled (which ends a sweep in flight
    /// at once); a failed sweep is logged and retried at the next interval.
    public func run() async throws {
        while !Task.isCancelled {
            do {
                _ = try await sweepOnce()
            } catch {
                if Task.isCancelled { return }
                logger.error("upload sweep failed; retrying at the next sweep", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    /// One sweep: pending aborts first, then orphaned uploads. Throws only when the history cannot be read.
    @discardableResult
    public func sweepOnce() async throws -> Report {
        let config = configuration()
        var report = Report()
        for pending in try history.pendingAborts() {
            var log = logger
            log[metadataKey: "s3.destination"] = "\(pending.destination)"
            log[metadataKey: "s3.key"] = "\(pending.key)"
            log[metadataKey: "s3.upload_id"] = "\(pending.uploadID)"
            guard let destination = config.destination(named: pending.destination) else {
                log.warning("cannot abort a pending upload: its destination is no longer configured")
                continue
            }
            do {
                // Recovery records a segmented stream's key; the upload may be under `key.002`, ...
                try await stores.store(for: destination, logger: logger).abortStreamUpload(key: pending.key, uploadID: pending.uploadID)
                try history.abortConfirmed(uploadID: pending.uploadID)
                log.notice("aborted an upload whose abort had failed", metadata: ["s3.abort_attempts": "\(pending.attempts + 1)"])
                report.confirmed.append(pending.uploadID)
            } catch {
                try history.pendingAbortFailed(uploadID: pending.uploadID, error: "\(error)")
                log.warning("abort still failing; will retry at the next sweep", metadata: ["error": "\(error)"])
                report.stillPending.append(pending.uploadID)
            }
        }

        let running = try history.runningRuns()
        // A running fan-out run owns an upload at each of its destinations.
        let lanes = try history.destinationUploads(runIDs: running.map(\.id)).values.joined()
        let owned = Set(running.compactMap(\.uploadID)).union(lanes.compactMap(\.uploadID))
        let now = clock.now()
        for job in config.jobs {
            for destination in job.destinations.compactMap(config.destination(named:)) {
                do {
                    let store = try stores.store(for: destination, logger: logger)
                    let prefix = ObjectName.listPrefix(prefix: job.prefix, job: job.name)
                    let maximumAge = Double(job.timeout.components.seconds)
                    for upload in try await store.openUploads(prefix: prefix)
                    // Only uploads of backupd's own names: a stranger's upload under the prefix is not ours to abort.
                    where BackupNameGrammar(job: job).matches(upload.key) && !owned.contains(upload.uploadID)
                        && now.timeIntervalSince(upload.initiated) > maximumAge
                    {
                        try await store.abortUpload(key: upload.key, uploadID: upload.uploadID)
                        logger.notice(
                            "aborted an orphaned multipart upload",
                            metadata: [
                                "job.name": "\(job.name)", "s3.destination": "\(destination.name)", "s3.key": "\(upload.key)",
                                "s3.upload_id": "\(upload.uploadID)", "s3.initiated": "\(upload.initiated)",
                            ])
                        report.orphansAborted.append(upload.uploadID)
                    }
                } catch {
                    logger.warning(
                        "cannot sweep the job's open uploads; will retry at the next sweep",
                        metadata: ["job.name": "\(job.name)", "s3.destination": "\(destination.name)", "error": "\(error)"])
                }
            }
        }
        return report
    }
}

extension UploadSweeper: Service {}
