/// The keys a request is signed with. The secret stays in memory only; nothing here prints it.
public struct SigV4Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id (sent in the clear in every Authorization header).
    public var accessKeyId: String
    /// The secret access key.
    public var secretAccessKey: String
    /// A session token of temporary credentials, sent as `x-amz-security-token`.
    public var sessionToken: String?

    /// Wraps a key pair and an optional session token.
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "SigV4Credentials(accessKeyId: \(accessKeyId), secret: <redacted>)" }
    public var debugDescription: String { description }
}
