import BackupCore
import Foundation

/// One HTTP request a notification becomes: the URL (a secret), the headers and the body.
public struct NotificationMessage: Sendable {
    /// Where it goes; never logged (see `NotificationMessage.safeTarget`).
    public var url: Secret
    /// `POST` (webhooks, failure pings with a body) or `GET`.
    public var method: String
    /// Headers to send.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// Describes a request.
    public init(url: Secret, method: String = "POST", headers: [(name: String, value: String)], body: [UInt8]) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    /// `scheme://host[:port]` of `url`: all that may be logged of it (its path or query may hold a token).
    public static func safeTarget(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "<unparsable URL>" }
        return components.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
