import Foundation
import Glibc

/// A loopback TCP proxy in front of the S3 server that drops one connection mid-request: once a
/// connection has carried `dropAfterBytes` from the client, both sides are closed, once.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let upstreamPort: UInt16
    private let dropAfterBytes: Int
    private let lock = NSLock()
    private var dropped = false
    private var connections = 0

    /// How many connections were dropped (0 or 1) and accepted.
    var stats: (dropped: Bool, connections: Int) { lock.withLock { (dropped, connections) } }

    init(upstreamPort: Int, dropAfterBytes: Int) throws {
        self.upstreamPort = UInt16(upstreamPort)
        self.dropAfterBytes = dropAfterBytes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = FaultProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestS3.Missing(variable: "a free loopback port for the fault proxy") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting (open connections end when their peers close).
    func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.withLock { connections += 1 }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = FaultProxy.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if connected != 0 { Glibc.close(client); Glibc.close(upstream); continue }
            Thread { [self] in pump(from: client, to: upstream, counting: true) }.start()
            Thread { [self] in pump(from: upstream, to: client, counting: false) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32, counting: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var carried = 0
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 { break }
            carried += n
            if counting && carried > dropAfterBytes {
                let drop = lock.withLock { () -> Bool in
                    if dropped { return false }
                    dropped = true
                    return true
                }
                if drop {
                    // Reset rather than close politely: the client sees the connection die mid-body.
                    var linger = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(source, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                    shutdown(destination, Int32(SHUT_RDWR))
                    shutdown(source, Int32(SHUT_RDWR))
                    break
                }
            }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if m <= 0 { break }
                sent += m
            }
            if sent < n { break }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }
}
