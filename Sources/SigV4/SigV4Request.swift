/// A request to sign, in unencoded form; the signer encodes it once, and the returned
/// `SignedRequest` is what goes on the wire, byte for byte.
public struct SigV4Request: Sendable {
    /// `GET`, `PUT`, `POST`, `HEAD`, `DELETE`.
    public var method: String
    /// The `Host` header: the host name, with `:port` when the port is not the scheme's default.
    public var host: String
    /// The decoded path (`/bucket/key with spaces`); it is encoded exactly once and never normalised.
    public var path: String
    /// Decoded query parameters; a bare `?uploads` is `("uploads", "")`.
    public var query: [(name: String, value: String)]
    /// Headers to send and sign besides the ones the signer adds.
    public var headers: [(name: String, value: String)]
    /// Lower-case hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
    public var payloadHash: String

    /// Describes a request.
    public init(
        method: String, host: String, path: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payloadHash: String = SHA256.emptyHex
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }
}

/// A signed request: the encoded path and query, and every header to send (including `Host`,
/// `x-amz-date`, `x-amz-content-sha256` and `Authorization`).
public struct SignedRequest: Sendable {
    /// The path and query exactly as signed, e.g. `/bucket/a%2Bb?partNumber=1&uploadId=x`.
    public var pathAndQuery: String
    /// Headers in the order they should be sent.
    public var headers: [(name: String, value: String)]
    /// The canonical request (for tests and debugging; contains no secret).
    public var canonicalRequest: String
    /// The string to sign.
    public var stringToSign: String
    /// The Authorization header value.
    public var authorization: String

    /// The value of the header `name` (case-insensitive), if sent.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}
