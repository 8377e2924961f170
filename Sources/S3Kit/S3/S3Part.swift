/// A part that S3 holds for an open multipart upload.
public struct S3Part: Sendable, Hashable {
    /// 1-based part number.
    public var number: Int
    /// The ETag S3 returned for it.
    public var etag: String
    /// Its size in bytes.
    public var size: Int64
}
