import BackupCore
import ConfigKit
import Foundation
import Logging

/// After a takeover, aborts the multipart uploads the stale holder's run left open (a holder
/// killed mid-upload never aborts them, and every open part is billed). The stale claim names the
/// run's backup id (`ClaimRecord.backupId`, written before its first upload); every upload of that
/// run, at every destination of the job, has a key starting with it. Safe with fencing: the takeover
/// replaced the claim with `If-Match`, so the old holder can no longer re-validate it and complete.
public struct StaleRunUploads: Sendable {
    /// Opens a destination's store (live: `S3StoreProvider`).
    public var openStore: @Sendable (DestinationConfig, Logger) throws -> any BackupObjectStore

    /// Aborts through stores from `openStore`.
    public init(openStore: @escaping @Sendable (DestinationConfig, Logger) throws -> any BackupObjectStore) {
        self.openStore = openStore
    }

    /// The live one: S3 at each destination.
    public static let live = StaleRunUploads { destination, logger in
        try S3StoreProvider(logger: logger).store(for: destination, logger: logger)
    }

    /// Aborts every open upload of `previous`'s run at each of `job`'s destinations and returns the
    /// ones aborted. A claim that names no run (its holder died before its first upload, or wrote
    /// an older claim) leaves nothing to abort. A destination that cannot be listed or an abort that
    /// fails is logged and skipped: the upload stays until the daemon's sweep of day-old uploads.
    @discardableResult
    public func abort(job: JobConfig, config: BackupConfig, previous: ClaimRecord, logger: Logger) async -> [OpenUpload] {
        guard let backupId = previous.backupId else {
            logger.debug("the stale claim names no run; no upload to abort", metadata: ["claim.previous_holder": "\(previous.hostId)"])
            return []
        }
        let keyPrefix = ObjectName.keyPrefix(prefix: job.prefix, backupID: backupId)
        var aborted: [OpenUpload] = []
        for name in job.destinations {
            guard let destination = config.destination(named: name) else { continue }
            var log = logger
            log[metadataKey: "s3.destination"] = "\(name)"
            log[metadataKey: "claim.previous_holder"] = "\(previous.hostId)"
            log[metadataKey: "backup.id"] = "\(backupId)"
            let store: any BackupObjectStore
            let open: [OpenUpload]
            do {
                store = try openStore(destination, log)
                open = try await store.openUploads(prefix: keyPrefix)
            } catch {
                log.warning("cannot list the previous holder's open uploads; they stay until the sweep of day-old uploads", metadata: [
                    "s3.prefix": "\(keyPrefix)", "error": "\(error)"])
                continue
            }
            for upload in open {
                do {
                    try await store.abortUpload(key: upload.key, uploadID: upload.uploadID)
                    aborted.append(upload)
                    log.notice("aborted the previous holder's open upload", metadata: ["s3.key": "\(upload.key)", "s3.upload_id": "\(upload.uploadID)"])
                } catch {
                    log.warning("cannot abort the previous holder's open upload", metadata: [
                        "s3.key": "\(upload.key)", "s3.upload_id": "\(upload.uploadID)", "error": "\(error)"])
                }
            }
        }
        return aborted
    }
}
