import Foundation

/// One row of the history: a run, from its start (or skip) to its end.
public struct RunRecord: Sendable, Hashable, Identifiable {
    /// The run id (increasing with insertion).
    public var id: Int64
    /// The job's name.
    public var job: String
    /// Why the run happened.
    public var trigger: RunTrigger
    /// The slot the run was for; nil for a run without one.
    public var scheduledAt: Date?
    /// When the run started; for a skipped run, when the skip was decided.
    public var startedAt: Date
    /// When the run ended; nil while running.
    public var endedAt: Date?
    /// Where the run stands.
    public var status: RunStatus
    /// Bytes read from the dump tool's output.
    public var bytesRead: Int64?
    /// Bytes stored in the bucket (after compression and encryption).
    public var bytesStored: Int64?
    /// The object's key in the bucket.
    public var objectKey: String?
    /// Hex SHA-256 of the stored object.
    public var sha256: String?
    /// The multipart upload id while the upload is open (cleared once completed or aborted).
    public var uploadID: String?
    /// The destination name from the config (needed to abort a leftover upload).
    public var destination: String?
    /// The bucket the object goes to.
    public var bucket: String?
    /// The dump tool's exit status.
    public var exitStatus: Int32?
    /// The last lines of the dump tool's stderr.
    public var stderrTail: String?
    /// What went wrong (or why the run was skipped), for a user to act on.
    public var error: String?
    /// Why the stored backup is suspicious (far smaller than its recent peers); nil when it is not.
    public var suspicious: String?
    /// When an operator acknowledged the suspicious backup (`backupd ack`); nil while it is not.
    public var acknowledgedAt: Date?

    /// Whether the backup is suspicious and not acknowledged: retention keeps it as an extra.
    public var isSuspicious: Bool { suspicious != nil && acknowledgedAt == nil }

    /// The run's duration, nil while running.
    public var duration: TimeInterval? { endedAt.map { $0.timeIntervalSince(startedAt) } }

    /// Creates a record (the store builds these; tests and renderers may too).
    public init(
        id: Int64, job: String, trigger: RunTrigger, scheduledAt: Date? = nil, startedAt: Date,
        endedAt: Date? = nil, status: RunStatus, bytesRead: Int64? = nil, bytesStored: Int64? = nil,
        objectKey: String? = nil, sha256: String? = nil, uploadID: String? = nil, destination: String? = nil,
        bucket: String? = nil, exitStatus: Int32? = nil, stderrTail: String? = nil, error: String? = nil,
        suspicious: String? = nil, acknowledgedAt: Date? = nil
    ) {
        self.id = id
        self.job = job
        self.trigger = trigger
        self.scheduledAt = scheduledAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
        self.bytesRead = bytesRead
        self.bytesStored = bytesStored
        self.objectKey = objectKey
        self.sha256 = sha256
        self.uploadID = uploadID
        self.destination = destination
        self.bucket = bucket
        self.exitStatus = exitStatus
        self.stderrTail = stderrTail
        self.error = error
        self.suspicious = suspicious
        self.acknowledgedAt = acknowledgedAt
    }
}
