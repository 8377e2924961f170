/// How one destination of a run ended (a job with several destinations has one per destination).
public struct DestinationOutcome: Sendable, Hashable, Codable {
    /// The destination's name.
    public var destination: String
    /// Its bucket.
    public var bucket: String?
    /// `succeeded` when the backup (objects and manifest) is complete there, else `failed` or `interrupted`.
    public var status: RunStatus
    /// The main object's key there.
    public var objectKey: String?
    /// Bytes of the main object stored there.
    public var bytesStored: Int64?
    /// Hex SHA-256 of the main object (the same stream digest at every destination).
    public var sha256: String?
    /// What went wrong there.
    public var error: String?

    /// Describes one destination's result.
    public init(
        destination: String, bucket: String? = nil, status: RunStatus, objectKey: String? = nil, bytesStored: Int64? = nil,
        sha256: String? = nil, error: String? = nil
    ) {
        self.destination = destination
        self.bucket = bucket
        self.status = status
        self.objectKey = objectKey
        self.bytesStored = bytesStored
        self.sha256 = sha256
        self.error = error
    }
}
