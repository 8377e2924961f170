/// One lane of a run: a destination and where the run stands there. Every run has one per
/// destination of its job, in the job's order (a job with one destination has one lane).
public struct DestinationOutcome: Sendable, Hashable {
    /// The destination's name.
    public var destination: String
    /// Its bucket.
    public var bucket: String?
    /// Open, failed or stored.
    public var state: LaneState

    /// Describes one lane.
    public init(destination: String, bucket: String? = nil, state: LaneState) {
        self.destination = destination
        self.bucket = bucket
        self.state = state
    }

    /// Describes one lane from a history row's status and columns (see `LaneState.init(status:…)`).
    public init(
        destination: String, bucket: String? = nil, status: RunStatus, objectKey: String? = nil, bytesStored: Int64? = nil,
        sha256: String? = nil, error: String? = nil
    ) {
        self.init(
            destination: destination, bucket: bucket,
            state: LaneState(status: status, objectKey: objectKey, bytesStored: bytesStored, sha256: sha256, error: error))
    }

    /// `succeeded` when stored, `running` while open, else `failed` or `interrupted`.
    public var status: RunStatus { state.status }
    /// The main object's key there (see `LaneState.objectKey`).
    public var objectKey: String? { state.objectKey }
    /// Bytes of the main object stored there (stored lanes only).
    public var bytesStored: Int64? {
        if case .stored(let receipt) = state { return receipt.bytesStored }
        return nil
    }
    /// Hex SHA-256 of the main object (stored lanes only).
    public var sha256: String? {
        if case .stored(let receipt) = state { return receipt.sha256 }
        return nil
    }
    /// What went wrong there (failed lanes only).
    public var error: String? {
        if case .failed(let failure) = state { return failure.reason }
        return nil
    }
}
