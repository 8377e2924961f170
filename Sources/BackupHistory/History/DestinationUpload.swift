/// One lane of a run as recorded in the history, with where it stands in the run: its place in
/// the job's destinations and the multipart upload still open there (nil once completed or aborted).
public struct DestinationUpload: Sendable, Hashable {
    /// The run.
    public var runID: Int64
    /// The destination's place in the job's `destinations`.
    public var position: Int
    /// The destination, its bucket and its state (open while the run runs, then its own result).
    public var lane: DestinationOutcome
    /// The open multipart upload there.
    public var uploadID: String?

    /// Describes one lane from a history row's status and columns.
    public init(
        runID: Int64, position: Int, destination: String, bucket: String? = nil, status: RunStatus = .running,
        objectKey: String? = nil, uploadID: String? = nil, error: String? = nil
    ) {
        self.runID = runID
        self.position = position
        lane = DestinationOutcome(destination: destination, bucket: bucket, status: status, objectKey: objectKey, error: error)
        self.uploadID = uploadID
    }

    /// The destination's name.
    public var destination: String { lane.destination }
    /// Its bucket.
    public var bucket: String? { lane.bucket }
    /// `running` while open, then the lane's own result.
    public var status: RunStatus { lane.status }
    /// The object being written (or written, or last tried) there.
    public var objectKey: String? { lane.objectKey }
    /// Why it failed, when it did.
    public var error: String? { lane.error }
}
