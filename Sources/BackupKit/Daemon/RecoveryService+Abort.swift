import BackupCore
import ConfigKit
import Foundation
import Logging

extension RecoveryService {
    /// Aborts `uploads`, pending aborts at `destination` that recovery just handed to
    /// the ledger. Each is made for the stream at its key (the upload may be writing a later
    /// segment, `key.002`, ...); a confirmed abort leaves the ledger, a failed one stays there for
    /// the upload sweeper, which retries it every few minutes, so its parts do not stay billed
    /// until the next start.
    func abortPending(_ uploads: [PendingAbort], destination: DestinationConfig) async {
        let store: any BackupObjectStore
        do {
            store = try stores.store(for: destination, logger: logger)
        } catch {
            logger.error("crash recovery: cannot open the destination; its aborts stay pending for the sweeper", metadata: [
                "s3.destination": "\(destination.name)", "error": "\(error)"])
            return
        }
        for upload in uploads {
            let metadata: Logger.Metadata = [
                "s3.destination": "\(destination.name)", "s3.key": "\(upload.key)", "s3.upload_id": "\(upload.uploadID)"]
            do {
                try await store.abortStreamUpload(key: upload.key, uploadID: upload.uploadID)
                try history.abortConfirmed(uploadID: upload.uploadID)
                logger.notice("aborted the upload of an interrupted run", metadata: metadata)
            } catch {
                do {
                    try history.pendingAbortFailed(uploadID: upload.uploadID, error: "\(error)")
                    logger.warning("cannot abort an interrupted run's upload; kept as abort pending for the sweeper", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                } catch let recording {
                    logger.error("cannot abort an interrupted run's upload nor count the attempt; the sweeper retries it", metadata: metadata.merging([
                        "error": "\(error)", "history.error": "\(recording)"]) { $1 })
                }
            }
        }
    }
}
