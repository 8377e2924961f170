import Foundation
import Glibc

/// A loopback TCP proxy in front of the S3 server for fan-out tests: it can throttle what clients
/// send (a slow destination) and, once clients have sent `failUploadsAfterBytes` in total, reset every
/// open connection and every later request that uploads data (`PUT`), as a destination whose data
/// path went down; other requests (the abort's `DELETE`, listings) still pass.
final class OutageProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let upstreamPort: UInt16
    private let bytesPerSecond: Int?
    private let failUploadsAfterBytes: Int?
    private let lock = NSLock()
    private var carried = 0
    private var down = false
    private var open: Set<Int32> = []
    private var resets = 0

    /// Whether the outage began, and how many connections were reset.
    var stats: (down: Bool, resets: Int) { lock.withLock { (down, resets) } }

    init(upstreamPort: Int, bytesPerSecond: Int? = nil, failUploadsAfterBytes: Int? = nil) throws {
        self.upstreamPort = UInt16(upstreamPort)
        self.bytesPerSecond = bytesPerSecond
        self.failUploadsAfterBytes = failUploadsAfterBytes
        (listener, port) = try LoopbackSocket.listen(what: "the outage proxy")
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting.
    func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            guard let upstream = LoopbackSocket.connect(port: upstreamPort) else { Glibc.close(client); continue }
            lock.withLock { _ = open.insert(client) }
            Thread { [self] in pump(from: client, to: upstream, fromClient: true) }.start()
            Thread { [self] in pump(from: upstream, to: client, fromClient: false) }.start()
        }
    }

    /// Resets `socket` so that the client sees the connection die mid-request.
    private func reset(_ socket: Int32) {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        shutdown(socket, Int32(SHUT_RDWR))
    }

    private func pump(from source: Int32, to destination: Int32, fromClient: Bool) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 { break }
            if fromClient {
                let (isDown, justWentDown, victims) = lock.withLock { () -> (Bool, Bool, [Int32]) in
                    carried += n
                    if !down, let limit = failUploadsAfterBytes, carried > limit {
                        down = true
                        return (true, true, Array(open))
                    }
                    return (down, false, [])
                }
                if justWentDown {
                    for victim in victims { reset(victim) }
                    lock.withLock { resets += victims.count }
                    break
                }
                if isDown, buffer[0..<min(n, 4)].elementsEqual(Array("PUT ".utf8)) {
                    reset(source)
                    lock.withLock { resets += 1 }
                    break
                }
                if let rate = bytesPerSecond { usleep(useconds_t(Double(n) / Double(rate) * 1_000_000)) }
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
        if fromClient { lock.withLock { _ = open.remove(source) } }
    }
}
