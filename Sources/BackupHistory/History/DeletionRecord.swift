import Foundation

/// One object prune deleted, or tried to delete, as the history keeps it.
public struct DeletionRecord: Sendable, Hashable {
    /// Why prune removes objects.
    public enum Cause: String, Sendable {
        /// The retention policy keeps the backup no longer.
        case retention
        /// Data objects without a manifest: their run ended without one (history), prune deleted
        /// their manifest, or they are older than the job's timeout plus a margin.
        case incomplete
        /// A PITR job's WAL file older than the start of the oldest base backup kept.
        case wal
        /// A `runOn: "any"` job's run-slot claim (its `backupID` is the slot) older than the oldest
        /// backup kept in the destination that keeps the job's claims: no host can need it again.
        case claim
    }

    /// What happened to the object.
    public enum Outcome: String, Sendable {
        /// Gone.
        case deleted
        /// The service refused (object lock, bucket policy): the reason is in `error`.
        case refused
        /// Not attempted because the backup's manifest could not be deleted first.
        case skipped
    }

    /// The job.
    public var job: String
    /// The destination's name.
    public var destination: String?
    /// The bucket.
    public var bucket: String?
    /// The backup the object belongs to (for a `claim`, the slot it claimed, as `20261207T030000Z`).
    public var backupID: String
    /// The object key.
    public var objectKey: String
    /// When it was deleted (or refused).
    public var at: Date
    /// Why prune removed it.
    public var cause: Cause
    /// Deleted or refused.
    public var outcome: Outcome
    /// The service's reason when refused.
    public var error: String?

    /// Describes one deletion.
    public init(
        job: String, destination: String?, bucket: String?, backupID: String, objectKey: String, at: Date, cause: Cause,
        outcome: Outcome, error: String? = nil
    ) {
        self.job = job
        self.destination = destination
        self.bucket = bucket
        self.backupID = backupID
        self.objectKey = objectKey
        self.at = at
        self.cause = cause
        self.outcome = outcome
        self.error = error
    }
}
