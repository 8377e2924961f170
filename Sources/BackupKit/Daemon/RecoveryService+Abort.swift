import Foundation
import Logging

extension RecoveryService {
    /// Aborts an interrupted run's open upload `uploadID` of the stream at `key` (it may
    /// be writing a later segment, `key.002`, ...), then `closed()` clears it in the history. An
    /// abort that fails is handed to the upload sweeper as abort pending, which retries it every
    /// few minutes, so its parts do not stay billed until the next start.
    func abortInterruptedUpload(
        key: String, uploadID: String, destination: DestinationConfig, store: any BackupObjectStore, at time: Date,
        metadata: Logger.Metadata, closed: () throws -> Void
    ) async {
        let logger = coordinator.logger
        do {
            try await store.abortStreamUpload(key: key, uploadID: uploadID)
            try closed()
            logger.notice("aborted the upload of an interrupted run", metadata: metadata)
        } catch {
            do {
                try coordinator.history.recordPendingAbort(
                    PendingAbort(destination: destination.name, bucket: destination.bucket, key: key, uploadID: uploadID, since: time, lastError: "\(error)"))
                try closed()
                logger.warning("cannot abort an interrupted run's upload; kept as abort pending for the sweeper", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            } catch let recording {
                logger.error("cannot abort an interrupted run's upload nor keep it pending; will retry at the next start", metadata: metadata.merging([
                    "error": "\(error)", "history.error": "\(recording)"]) { $1 })
            }
        }
    }
}
