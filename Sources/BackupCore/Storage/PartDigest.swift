/// One part of a multipart upload as it was sent: its size and the lower-case hex SHA-256 its
/// upload was signed with (`x-amz-content-sha256`), which the server checked before storing it.
public struct PartDigest: Sendable, Hashable, Codable {
    /// The part's bytes.
    public var size: Int64
    /// Its SHA-256.
    public var sha256: String

    /// Describes a part.
    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// How a stream digested by parts shows its digest (history, `run-now`, `list`): the hex
    /// SHA-256 over the part digests, then `-` and the number of parts, as S3 writes composite
    /// checksums, so that it is never mistaken for the SHA-256 of the whole object.
    public static func label(composite: String, parts: Int) -> String { "\(composite)-\(parts)" }
}
