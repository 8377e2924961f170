import BackupCore
import ConfigKit
import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` over HTTP/1.1 on one address (loopback by default). Binds in `init`, so
/// a bad address fails at start; `run()` answers until its task is cancelled, then closes the
/// socket and returns promptly. One request per connection, each with a 5 s read/write timeout,
/// so a stuck client cannot hold it up for long. The blocking calls run on `BlockingBridge`.
public final class MetricsListener: Sendable {
    /// The address and the port actually bound (useful when port 0 was asked for).
    public let address: BindAddress
    private let fd: Int32
    private let registry: MetricsRegistry
    private let logger: Logger
    private let accepting = Atomic<Bool>(false)

    /// Binds `address` (throws `MetricsError.bind`) to serve `registry`.
    public init(address: BindAddress, registry: MetricsRegistry, logger: Logger) throws {
        self.registry = registry
        self.logger = logger
        guard let family = address.family else { throw MetricsError.bind(address: "\(address)", reason: "not an IP address") }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsError.bind(address: "\(address)", reason: String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        let length: socklen_t
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
            inet_pton(AF_INET, address.host, &sin.sin_addr)
            withUnsafeBytes(of: sin) { bytes in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            inet_pton(AF_INET6, address.host, &sin6.sin6_addr)
            withUnsafeBytes(of: sin6) { bytes in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MetricsError.bind(address: "\(address)", reason: reason)
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) } }
        let port = withUnsafeBytes(of: actual) { raw -> UInt16 in
            // sin_port and sin6_port sit at the same offset, after the family.
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
        self.address = BindAddress(host: address.host, port: Int(port))
        self.fd = fd
    }

    deinit { close(fd) }

    /// True once `run()` is answering (connections made before wait in the backlog until then).
    public var isAccepting: Bool { accepting.load(ordering: .acquiring) }

    /// Answers requests until the task is cancelled. Each blocking `accept` and each connection
    /// runs on the `BlockingBridge`; cancellation shuts the socket down, which wakes them.
    public func run() async throws {
        let fd = self.fd
        let bridge = BlockingBridge.shared
        logger.info("metrics listening", metadata: ["metrics.address": "\(address)"])
        accepting.store(true, ordering: .releasing)
        // Wakes a blocked accept(2) with EINVAL; the socket stays shut from then on.
        let stop: @Sendable () -> Void = { shutdown(fd, Int32(SHUT_RDWR)) }
        while !Task.isCancelled {
            guard let client = try? await bridge.run(interrupt: stop, { Self.accept(fd) }), client >= 0 else { break }
            _ = try? await bridge.run(interrupt: { shutdown(client, Int32(SHUT_RDWR)) }) { [self] in serve(client) }
            close(client)
        }
        stop()
        accepting.store(false, ordering: .releasing)
        logger.info("metrics listener stopped", metadata: ["metrics.address": "\(address)"])
    }

    /// The next connection (close-on-exec), or -1 once the socket is shut down or broken.
    private static func accept(_ fd: Int32) -> Int32 {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                return client
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return -1
        }
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            request.append(contentsOf: buffer[..<n])
            if request.count >= 4, request.suffix(from: max(0, request.count - n - 3)).containsHeaderEnd { break }
        }
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let (status, type, body): (String, String, String)
        if parts.count < 2 {
            (status, type, body) = ("400 Bad Request", "text/plain", "bad request\n")
        } else if parts[0] != "GET" && parts[0] != "HEAD" {
            (status, type, body) = ("405 Method Not Allowed", "text/plain", "only GET\n")
        } else if parts[1].split(separator: "?").first == "/metrics" {
            (status, type, body) = ("200 OK", MetricsExposition.contentType, MetricsExposition.render(registry))
        } else {
            (status, type, body) = ("404 Not Found", "text/plain", "backupd serves /metrics\n")
        }
        let bodyBytes = Array(body.utf8)
        var response = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bodyBytes.count)\r\nConnection: close\r\n\r\n".utf8)
        if parts.first != "HEAD" { response += bodyBytes }
        var offset = 0
        while offset < response.count {
            let n = response.withUnsafeBytes { send(client, $0.baseAddress! + offset, response.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

private extension ArraySlice where Element == UInt8 {
    /// True when the bytes contain `\r\n\r\n` or `\n\n`.
    var containsHeaderEnd: Bool {
        let bytes = Array(self)
        guard bytes.count >= 2 else { return false }
        for i in 0..<(bytes.count - 1) {
            if bytes[i] == 10 && bytes[i + 1] == 10 { return true }
            if i + 3 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return true }
        }
        return false
    }
}

extension MetricsListener: Service {}
