import Foundation

/// How a run ended; nil fields keep what progress updates recorded.
public struct RunOutcome: Sendable, Hashable {
    /// The final status: succeeded, partial, failed or interrupted.
    public var status: RunStatus
    /// When the run ended.
    public var endedAt: Date
    /// Total bytes read from the dump tool.
    public var bytesRead: Int64?
    /// Total bytes stored.
    public var bytesStored: Int64?
    /// The object key written.
    public var objectKey: String?
    /// Hex SHA-256 of the stored object.
    public var sha256: String?
    /// The dump tool's exit status.
    public var exitStatus: Int32?
    /// The last lines of the dump tool's stderr (the store keeps at most `HistoryStore.maxStderrTail` bytes).
    public var stderrTail: String?
    /// What went wrong, for a user to act on.
    public var error: String?
    /// True when the run's multipart upload is finished with (completed or aborted), which clears
    /// its upload id; false keeps it so that `uploadsToAbort()` lists it. Defaults to true for
    /// `succeeded`.
    public var uploadClosed: Bool
    /// Each destination's result, in the job's order (empty when the run never reached its destinations).
    public var destinations: [DestinationOutcome] = []
    /// S3 requests the run retried, by destination name (every destination it opened, 0 included);
    /// counted for the metrics, not kept in the history.
    public var retries: [String: Int] = [:]
    /// Why the stored backup is suspicious (see `ShrinkageRule`); nil when it is not.
    public var suspicious: String? = nil

    /// Describes the end of a run.
    public init(
        status: RunStatus, endedAt: Date, bytesRead: Int64? = nil, bytesStored: Int64? = nil, objectKey: String? = nil,
        sha256: String? = nil, exitStatus: Int32? = nil, stderrTail: String? = nil, error: String? = nil,
        uploadClosed: Bool? = nil
    ) {
        self.status = status
        self.endedAt = endedAt
        self.bytesRead = bytesRead
        self.bytesStored = bytesStored
        self.objectKey = objectKey
        self.sha256 = sha256
        self.exitStatus = exitStatus
        self.stderrTail = stderrTail
        self.error = error
        self.uploadClosed = uploadClosed ?? (status == .succeeded)
    }
}
