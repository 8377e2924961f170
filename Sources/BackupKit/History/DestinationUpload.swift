/// One lane of a run as recorded while it runs: where its upload goes and the
/// multipart upload still open there (nil once completed or aborted).
public struct DestinationUpload: Sendable, Hashable {
    /// The run.
    public var runID: Int64
    /// The destination's place in the job's `destinations`.
    public var position: Int
    /// The destination's name.
    public var destination: String
    /// Its bucket.
    public var bucket: String?
    /// `running` until the run ends, then the destination's own result.
    public var status: RunStatus
    /// The object being written there.
    public var objectKey: String?
    /// The open multipart upload there.
    public var uploadID: String?
    /// Why it failed, when it dropped out during the run.
    public var error: String?

    /// Describes one destination's upload.
    public init(
        runID: Int64, position: Int, destination: String, bucket: String? = nil, status: RunStatus = .running,
        objectKey: String? = nil, uploadID: String? = nil, error: String? = nil
    ) {
        self.runID = runID
        self.position = position
        self.destination = destination
        self.bucket = bucket
        self.status = status
        self.objectKey = objectKey
        self.uploadID = uploadID
        self.error = error
    }
}
