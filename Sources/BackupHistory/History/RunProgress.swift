/// Fields of a running run to update; nil leaves a field as it is.
public struct RunProgress: Sendable, Hashable {
    /// Bytes read from the dump tool so far.
    public var bytesRead: Int64?
    /// Bytes uploaded so far.
    public var bytesStored: Int64?
    /// The multipart upload id, recorded as soon as the upload is created.
    public var uploadID: String?
    /// The destination name, so that recovery can abort the upload.
    public var destination: String?
    /// The bucket, so that recovery can abort the upload.
    public var bucket: String?
    /// The object key being written.
    public var objectKey: String?
    /// Why the upload at `destination` failed: that lane drops out while the run's others carry on.
    public var failure: String?

    /// Describes a progress update.
    public init(
        bytesRead: Int64? = nil, bytesStored: Int64? = nil, uploadID: String? = nil, destination: String? = nil,
        bucket: String? = nil, objectKey: String? = nil, failure: String? = nil
    ) {
        self.bytesRead = bytesRead
        self.bytesStored = bytesStored
        self.uploadID = uploadID
        self.destination = destination
        self.bucket = bucket
        self.objectKey = objectKey
        self.failure = failure
    }
}
