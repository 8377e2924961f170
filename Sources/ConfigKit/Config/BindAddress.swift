import Glibc

/// An IP literal and port to listen on, e.g. `127.0.0.1:9187` or `[::1]:9187`.
public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP address as written (without brackets).
    public var host: String
    /// The TCP port (0 lets the kernel choose, for tests).
    public var port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPV6]:PORT` or `localhost:PORT`; nil with the reason otherwise.
    public static func parse(_ text: String) -> Result<BindAddress, BindAddressError> {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return .failure(.format) }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return .failure(.format) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (1...65_535).contains(port) else { return .failure(.port(String(portText))) }
        if host == "localhost" { host = "127.0.0.1" }
        let address = BindAddress(host: String(host), port: port)
        guard address.family != nil else { return .failure(.notIP(String(host))) }
        return .success(address)
    }

    /// AF_INET or AF_INET6 for an IP literal, nil for anything else (a host name).
    public var family: Int32? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return AF_INET }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return AF_INET6 }
        return nil
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        host == "::1" || (family == AF_INET && host.hasPrefix("127."))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a bind address does not parse.
public enum BindAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not `HOST:PORT`.
    case format
    /// The port is not 1-65535.
    case port(String)
    /// The host is not an IP address.
    case notIP(String)

    public var description: String {
        switch self {
        case .format: return "is not HOST:PORT; write it as \"127.0.0.1:9187\" or \"[::1]:9187\""
        case .port(let port): return "has port \"\(port)\", expected a number from 1 to 65535"
        case .notIP(let host): return "has host \"\(host)\", which is not an IP address; use an address of this machine such as \"127.0.0.1\" (or \"0.0.0.0\" for every interface)"
        }
    }
}
