import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Cross-checks "the newest backup" of a bucket with the history's newest backup stored at that
/// destination before `restore` or `verify` picks it: an older backup is never taken silently
/// because the newest one's manifest is missing from the listing.
public struct NewestBackupCheck: Sendable {
    /// The job (focused on the destination read).
    public let job: JobConfig
    /// The destination read.
    public let destination: DestinationConfig
    /// The history's account of that destination.
    public let witness: RetentionWitness

    /// A check of `job` at `destination` against `witness`.
    public init(job: JobConfig, destination: DestinationConfig, witness: RetentionWitness) {
        self.job = job
        self.destination = destination
        self.witness = witness
    }

    /// The check from `history` (nil, or unreadable: no check, with a warning for the latter).
    public static func reading(_ history: HistoryStore?, job: JobConfig, config: BackupConfig, logger: Logger) -> NewestBackupCheck? {
        guard let history, let destination = config.destination(named: job.destination) else { return nil }
        do {
            return NewestBackupCheck(job: job, destination: destination, witness: try RetentionWitness.readNewest(from: history, job: job, destination: destination))
        } catch {
            logger.warning("cannot cross-check the newest backup with the history", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Passes `bucketNewest` when it is (or is newer than) the history's newest stored backup,
    /// warning in the latter case; throws when the history's newest is missing and the bucket
    /// offers only an older one (or none).
    public func check(bucketNewest: CatalogEntry?, logger: Logger) throws(NewestBackupDisagreement) {
        guard let recorded = witness.newestStored else { return }
        if let bucket = bucketNewest {
            if bucket.id == recorded.id { return }
            if (bucket.time, bucket.id) > (recorded.time, recorded.id) {
                logger.warning("the bucket's newest backup is newer than the newest the history records as stored here", metadata: [
                    "backup.id": "\(bucket.id)", "history.backup_id": "\(recorded.id)", "s3.destination": "\(destination.name)",
                ])
                return
            }
        }
        throw NewestBackupDisagreement(
            job: job.name, destination: destination.name, recordedID: recorded.id, recordedTime: recorded.time, bucketNewestID: bucketNewest?.id)
    }
}

/// The history's newest backup stored at a destination has no readable manifest there, and the
/// bucket's newest is older: nothing is picked silently.
public struct NewestBackupDisagreement: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job.
    public var job: String
    /// The destination.
    public var destination: String
    /// The history's newest stored backup.
    public var recordedID: String
    /// When it was taken.
    public var recordedTime: Date
    /// The bucket's newest usable backup, if any.
    public var bucketNewestID: String?

    public var description: String {
        let older = bucketNewestID.map { "the newest backup in the bucket, \($0), is older" } ?? "the bucket has no usable backup"
        let explicit = bucketNewestID.map { ", or name the backup to use explicitly (`\(job) \($0)`)" } ?? ""
        return "the history records backup \(recordedID) (taken \(HistoryRenderer.utcTimestamp(recordedTime))) as stored at destination "
            + "\(destination), but the bucket has no readable manifest for it and \(older); not choosing an older backup silently: "
            + "run `backupd verify \(job) \(recordedID)` to see what happened\(explicit)"
    }
}
