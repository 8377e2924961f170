import Foundation
import SigV4

/// Everything an `S3Client` needs to address and sign requests for one bucket.
public struct S3Settings: Sendable {
    /// The service endpoint (`https://s3.eu-central-1.amazonaws.com`, `http://127.0.0.1:7480`).
    public var endpoint: URL
    /// The signing region.
    public var region: String
    /// The bucket.
    public var bucket: String
    /// The credentials.
    public var credentials: SigV4Credentials
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    public var pathStyle: Bool
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// How failed requests are retried.
    public var retry: RetryPolicy
    /// Whether the provider has DeleteObjects; otherwise objects are deleted one request each.
    public var multiObjectDelete = true

    /// Describes a bucket.
    public init(
        endpoint: URL, region: String, bucket: String, credentials: SigV4Credentials, pathStyle: Bool = true,
        caFile: String? = nil, retry: RetryPolicy = RetryPolicy()
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.credentials = credentials
        self.pathStyle = pathStyle
        self.caFile = caFile
        self.retry = retry
    }

    /// The `Host` header value: the host, with the port when it is not the scheme's default.
    var hostHeader: String {
        let host = endpoint.host ?? "localhost"
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        let full = pathStyle ? host : "\(bucket).\(host)"
        if let port = endpoint.port, !(scheme == "https" && port == 443) && !(scheme == "http" && port == 80) {
            return "\(full):\(port)"
        }
        return full
    }

    /// The decoded request path for `key` (nil: the bucket itself).
    func path(key: String?) -> String {
        var base = endpoint.path
        while base.hasSuffix("/") { base.removeLast() }
        let bucketPart = pathStyle ? "/\(bucket)" : ""
        guard let key else { return base + bucketPart + "/" }
        return base + bucketPart + "/" + key
    }

    /// `scheme://host` for the URL.
    var origin: String { "\(endpoint.scheme?.lowercased() ?? "https")://\(hostHeader)" }
}
