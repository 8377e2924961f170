import Foundation

/// What the history recorded about one run at one destination, for retention's and restore's
/// second witness: which backup it wrote (from the keys its uploads used) and how it ended there.
public struct BackupRunTrace: Sendable, Hashable {
    /// The run's history id.
    public var runID: Int64
    /// When the run started: the stamp in its backup id.
    public var startedAt: Date
    /// The destination's name.
    public var destination: String
    /// The destination's bucket, when recorded.
    public var bucket: String?
    /// The run's status at this destination (`succeeded` there means its manifest was written there).
    public var status: RunStatus
    /// A key the run uploaded (its main object, or the last upload it started), nil when it uploaded nothing.
    public var objectKey: String?

    /// Describes one run at one destination.
    public init(runID: Int64, startedAt: Date, destination: String, bucket: String?, status: RunStatus, objectKey: String?) {
        self.runID = runID
        self.startedAt = startedAt
        self.destination = destination
        self.bucket = bucket
        self.status = status
        self.objectKey = objectKey
    }
}
