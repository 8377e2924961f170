/// Where one destination of a run stands: still writing, dropped out, or holding the backup.
/// One value instead of a status with optional key, size and error that may disagree.
public enum LaneState: Sendable, Hashable {
    /// The run is writing there; `objectKey` is the key its upload is writing, once known.
    case open(objectKey: String?)
    /// The backup is not stored there, and why.
    case failed(LaneFailure)
    /// The backup (objects and manifest) is complete there.
    case stored(LaneReceipt)

    /// The state as the history's status column spells it: running, failed, interrupted or succeeded.
    public var status: RunStatus {
        switch self {
        case .open: .running
        case .failed(let failure): failure.interrupted ? .interrupted : .failed
        case .stored: .succeeded
        }
    }

    /// The key written (stored), being written (open) or last tried (failed), when known.
    public var objectKey: String? {
        switch self {
        case .open(let key): key
        case .failed(let failure): failure.objectKey
        case .stored(let receipt): receipt.objectKey
        }
    }

    /// The state a history row describes (status text plus columns), reading any other status as failed.
    public init(status: RunStatus, objectKey: String?, bytesStored: Int64?, sha256: String?, error: String?) {
        switch status {
        case .running:
            self = .open(objectKey: objectKey)
        case .succeeded:
            self = .stored(LaneReceipt(objectKey: objectKey, bytesStored: bytesStored, sha256: sha256))
        default:
            self = .failed(LaneFailure(reason: error, interrupted: status == .interrupted, objectKey: objectKey))
        }
    }
}

/// What a destination holds once the backup is stored there.
public struct LaneReceipt: Sendable, Hashable {
    /// The main object's key (nil only on rows written before keys were recorded).
    public var objectKey: String?
    /// Bytes of the main object.
    public var bytesStored: Int64?
    /// Hex SHA-256 of the main object (the same stream digest at every destination).
    public var sha256: String?

    /// Describes a stored backup.
    public init(objectKey: String?, bytesStored: Int64?, sha256: String?) {
        self.objectKey = objectKey
        self.bytesStored = bytesStored
        self.sha256 = sha256
    }
}

/// Why a destination does not hold the backup.
public struct LaneFailure: Sendable, Hashable {
    /// What went wrong there, for a user to act on (nil only on rows that recorded none).
    public var reason: String?
    /// True when the run was stopped (a stop or a crash) rather than failing there.
    public var interrupted: Bool
    /// The key its upload was writing, when it got that far (evidence for retention's witness).
    public var objectKey: String?

    /// Describes a destination that dropped out.
    public init(reason: String?, interrupted: Bool = false, objectKey: String? = nil) {
        self.reason = reason
        self.interrupted = interrupted
        self.objectKey = objectKey
    }
}
