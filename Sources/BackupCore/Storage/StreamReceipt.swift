/// What one stream stored: one object, or several segments (`key`, or `key.001`, `key.002`, ...)
/// when it outgrew what one object may hold; the manifest lists the segments in order.
public struct StreamReceipt: Sendable, Hashable {
    /// The stream's key (the first object's key without a segment number).
    public var key: String
    /// The objects, in stream order.
    public var segments: [UploadReceipt]
    /// Bytes of the whole stream.
    public var size: Int64
    /// The whole stream's digest (the segments' bytes concatenated): its lower-case hex SHA-256,
    /// or, when the segments carry `parts`, `PartDigest.label` of the SHA-256 over every part's
    /// digest in stream order.
    public var sha256: String

    /// Describes a stored stream.
    public init(key: String, segments: [UploadReceipt], size: Int64, sha256: String) {
        self.key = key
        self.segments = segments
        self.size = size
        self.sha256 = sha256
    }

    /// A stream stored as one object.
    public init(single receipt: UploadReceipt) {
        self.init(key: receipt.key, segments: [receipt], size: receipt.size, sha256: receipt.sha256)
    }

    /// The objects' keys, in order: what a restore reads as one stream.
    public var keys: [String] { segments.map(\.key) }

    /// Whether the stream is stored under segment names: it needed more than one object, or was
    /// numbered from `.001` up front (an expected size beyond one object) and then fitted in one.
    public var isSegmented: Bool { segments.count > 1 || segments.first?.key != key }

    /// The key of segment `index` (1-based) of the stream at `key`: `key.001`, `key.002`, ...
    public static func segmentKey(_ key: String, index: Int) -> String {
        let number = String(index)
        return key + "." + String(repeating: "0", count: max(0, 3 - number.count)) + number
    }
}
