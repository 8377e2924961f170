/// The control socket carries lanes in their history shape (status and columns), the keys a
/// synthesised conformance had before lanes became an enum, so that run-now and the daemon agree.
extension DestinationOutcome: Codable {
    private enum CodingKeys: String, CodingKey {
        case destination, bucket, status, objectKey, bytesStored, sha256, error
    }

    /// Reads a lane from its history shape.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            destination: try container.decode(String.self, forKey: .destination),
            bucket: try container.decodeIfPresent(String.self, forKey: .bucket),
            status: try container.decode(RunStatus.self, forKey: .status),
            objectKey: try container.decodeIfPresent(String.self, forKey: .objectKey),
            bytesStored: try container.decodeIfPresent(Int64.self, forKey: .bytesStored),
            sha256: try container.decodeIfPresent(String.self, forKey: .sha256),
            error: try container.decodeIfPresent(String.self, forKey: .error))
    }

    /// Writes a lane in its history shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(destination, forKey: .destination)
        try container.encodeIfPresent(bucket, forKey: .bucket)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(objectKey, forKey: .objectKey)
        try container.encodeIfPresent(bytesStored, forKey: .bytesStored)
        try container.encodeIfPresent(sha256, forKey: .sha256)
        try container.encodeIfPresent(error, forKey: .error)
    }
}
