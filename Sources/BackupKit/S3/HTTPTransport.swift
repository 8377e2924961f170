/// One HTTP exchange: the seam between the S3 client and the network, so the client and the
/// uploader are tested with a fake. Every call blocks the calling thread.
public protocol HTTPTransport: Sendable {
    /// Sends `request` with `body` (read in place, never copied) and returns the response.
    ///
    /// When `sink` is given and the status is 2xx, the response body goes to `sink` chunk by chunk
    /// and `HTTPResponse.body` stays empty; other responses are collected so errors can be parsed.
    /// Throws `HTTPTransportError` when no response arrived, or what `sink` threw.
    func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer,
        sink: ((UnsafeRawBufferPointer) throws -> Void)?
    ) throws -> HTTPResponse
}

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

/// What came back.
public struct HTTPResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers with lower-cased names.
    public var headers: [String: String]
    /// The body, unless it was streamed to a sink.
    public var body: [UInt8]

    /// Describes a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request got no HTTP response.
public enum HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host name did not resolve.
    case nameResolution(host: String, detail: String)
    /// Nothing accepted the TCP connection (refused, unreachable, connect timeout).
    case connect(host: String, detail: String)
    /// The TLS handshake or certificate verification failed.
    case tls(host: String, detail: String)
    /// The connection broke or stalled mid-request; worth retrying.
    case connectionLost(host: String, detail: String)
    /// Anything else libcurl reported.
    case other(host: String, detail: String)

    /// Whether retrying the same request can succeed.
    public var isRetryable: Bool {
        switch self {
        case .connect, .connectionLost: return true
        case .nameResolution, .tls, .other: return false
        }
    }

    public var description: String {
        switch self {
        case .nameResolution(let host, let detail):
            return "cannot resolve \(host) (\(detail)); check the endpoint's host name and this machine's DNS"
        case .connect(let host, let detail):
            return "cannot connect to \(host) (\(detail)); check the endpoint's host and port and that the service is up and reachable"
        case .tls(let host, let detail):
            return "TLS with \(host) failed (\(detail)); check the endpoint uses https with a certificate this machine trusts, or set caFile to the PEM of your CA"
        case .connectionLost(let host, let detail):
            return "the connection to \(host) broke or stalled (\(detail))"
        case .other(let host, let detail):
            return "request to \(host) failed: \(detail)"
        }
    }
}
