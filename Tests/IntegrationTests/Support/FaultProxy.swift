import Foundation
import Glibc

/// A loopback TCP proxy in front of the S3 server that injects network faults on demand during a
/// test: drop one connection mid-request (`dropAfterBytes`), refuse connections (the listener
/// closes, open connections are reset), stall (bytes stop moving both ways, connections stay
/// open), reset one download mid-body, and answer a burst of requests with 503.
final class FaultProxy: @unchecked Sendable {
    let port: Int
    private let upstreamPort: UInt16
    private let dropAfterBytes: Int?
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var dropped = false
    private var connections = 0
    private var refusing = false
    private var stalled = false
    private var downloadResetAfter: Int?
    private var downloadsReset = 0
    private var errorsLeft = 0
    private var errorsSent = 0
    private var open: Set<Int32> = []
    private var closed = false

    /// How many connections were dropped (0 or 1) and accepted.
    var stats: (dropped: Bool, connections: Int) { lock.withLock { (dropped, connections) } }
    /// Downloads reset mid-body and 503s sent so far.
    var faults: (downloadsReset: Int, errorsSent: Int) { lock.withLock { (downloadsReset, errorsSent) } }

    init(upstreamPort: Int, dropAfterBytes: Int? = nil) throws {
        self.upstreamPort = UInt16(upstreamPort)
        self.dropAfterBytes = dropAfterBytes
        let (fd, port) = try FaultProxy.listen(port: 0)
        self.port = port
        listener = fd
        startAccepting(fd)
    }

    /// Stops accepting and resets every open connection.
    func close() {
        lock.withLock { closed = true }
        refuse()
    }

    /// Connections are refused from now on (ECONNREFUSED) and open ones reset, until `restore()`.
    func refuse() {
        let (fd, sockets) = lock.withLock { () -> (Int32, Set<Int32>) in
            refusing = true
            let fd = listener
            listener = -1
            return (fd, open)
        }
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
        for socket in sockets { FaultProxy.reset(socket) }
    }

    /// Bytes stop moving in both directions (connections stay open and new ones are accepted but
    /// get nothing), until `restore()`.
    func stall() { lock.withLock { stalled = true } }

    /// Resets the next download (bytes from the server) once `bytes` of it have gone through.
    func resetNextDownload(after bytes: Int) { lock.withLock { downloadResetAfter = bytes } }

    /// The next `count` new connections get `503 SlowDown` for their first request.
    func failNext(_ count: Int) { lock.withLock { errorsLeft = count } }

    /// Back to passing everything through (listening again on the same port after `refuse()`).
    func restore() throws {
        let relisten = lock.withLock { () -> Bool in
            stalled = false
            defer { refusing = false }
            return refusing && !closed
        }
        guard relisten else { return }
        let (fd, _) = try FaultProxy.listen(port: UInt16(port))
        lock.withLock { listener = fd }
        startAccepting(fd)
    }

    private static func listen(port: UInt16) throws -> (Int32, Int) {
        try LoopbackSocket.listen(port: port, what: "the fault proxy")
    }

    /// Closes with RST: the peer sees the connection die, not a polite end of stream.
    private static func reset(_ socket: Int32) {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        shutdown(socket, Int32(SHUT_RDWR))
    }

    private func startAccepting(_ fd: Int32) {
        Thread { [self] in acceptLoop(fd) }.start()
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            let sendError = lock.withLock { () -> Bool in
                connections += 1
                guard errorsLeft > 0 else { return false }
                errorsLeft -= 1
                errorsSent += 1
                return true
            }
            if sendError {
                Thread { FaultProxy.answerSlowDown(client) }.start()
                continue
            }
            guard let upstream = LoopbackSocket.connect(port: upstreamPort) else { Glibc.close(client); continue }
            lock.withLock {
                open.insert(client)
                open.insert(upstream)
            }
            let done = DispatchGroup()
            done.enter()
            done.enter()
            Thread { [self] in pump(from: client, to: upstream, upload: true); done.leave() }.start()
            Thread { [self] in pump(from: upstream, to: client, upload: false); done.leave() }.start()
            done.notify(queue: .global()) { [self] in
                lock.withLock {
                    open.remove(client)
                    open.remove(upstream)
                }
                Glibc.close(client)
                Glibc.close(upstream)
            }
        }
    }

    /// Reads the request head, answers 503 SlowDown and closes.
    private static func answerSlowDown(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) && head.count < 65_536 {
            let n = recv(client, &buffer, 1, 0)
            if n <= 0 { break }
            head.append(buffer[0])
        }
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        shutdown(client, Int32(SHUT_WR))
        // Drain what the client still sends (a part body) so the close is not a reset.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while recv(client, &buffer, buffer.count, 0) > 0 {}
        Glibc.close(client)
    }

    private func pump(from source: Int32, to destination: Int32, upload: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var carried = 0
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 { break }
            while lock.withLock({ stalled && !refusing }) { usleep(20_000) }
            carried += n
            if upload, let dropAfterBytes, carried > dropAfterBytes {
                let drop = lock.withLock { () -> Bool in
                    if dropped { return false }
                    dropped = true
                    return true
                }
                if drop {
                    FaultProxy.reset(source)
                    shutdown(destination, Int32(SHUT_RDWR))
                    break
                }
            }
            if !upload {
                // The reset counts bytes from the server on any connection from the moment it is armed.
                let keep = lock.withLock { () -> Int? in
                    guard let left = downloadResetAfter else { return nil }
                    if left >= n {
                        downloadResetAfter = left - n
                        return nil
                    }
                    downloadResetAfter = nil
                    downloadsReset += 1
                    return left
                }
                if let keep {
                    // Forward up to the limit, then reset: the client has part of the body.
                    _ = buffer.withUnsafeBytes { send(destination, $0.baseAddress!, keep, Int32(MSG_NOSIGNAL)) }
                    FaultProxy.reset(destination)
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
