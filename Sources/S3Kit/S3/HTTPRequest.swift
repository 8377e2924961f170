/// What to send: the method, the absolute URL exactly as signed, and the headers.
public struct HTTPRequest: Sendable {
    /// `GET`, `PUT`, `POST`, `HEAD`, `DELETE`.
    public var method: String
    /// `scheme://host[:port]/path?query`, already encoded.
    public var url: String
    /// Headers to send, in order.
    public var headers: [(name: String, value: String)]

    /// Describes a request.
    public init(method: String, url: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.url = url
        self.headers = headers
    }
}
