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
    /// The caller abandoned the request (a cancelled run, a job timeout) while it was in flight.
    case abandoned(host: String)

    /// Whether retrying the same request can succeed.
    public var isRetryable: Bool {
        switch self {
        case .connect, .connectionLost: return true
        case .nameResolution, .tls, .other, .abandoned: return false
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
        case .abandoned(let host):
            return "the request to \(host) was abandoned because the run was stopped"
        }
    }
}
