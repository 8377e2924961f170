import CLinux
import Foundation
import Glibc

/// Small helpers over POSIX Unix stream sockets for the control socket (no library: a few calls).
enum UnixSocket {
    /// The address of `path`, or nil when the path does not fit in `sun_path`.
    static func address(_ path: String) -> (sockaddr_un, socklen_t)? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return (address, socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + 1))
    }

    /// Accepts a connection (close-on-exec).
    static func accept(_ fd: Int32) -> Int32 { bd_accept_cloexec(fd) }

    /// A new stream socket (close-on-exec).
    static func makeSocket() -> Int32 {
        socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    static func bind(_ fd: Int32, _ address: (sockaddr_un, socklen_t)) -> Int32 {
        var (storage, length) = address
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
    }

    static func connect(_ fd: Int32, _ address: (sockaddr_un, socklen_t)) -> Int32 {
        var (storage, length) = address
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
    }

    /// Sets the receive and send timeouts (nil: none).
    static func setTimeouts(_ fd: Int32, receive: Duration?, send: Duration?) {
        for (option, duration) in [(SO_RCVTIMEO, receive), (SO_SNDTIMEO, send)] {
            var value = timeval()
            if let duration {
                value.tv_sec = Int(duration.components.seconds)
                value.tv_usec = Int(duration.components.attoseconds / 1_000_000_000_000)
            }
            setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The peer's user id and pid.
    static func peer(_ fd: Int32) -> (uid: uid_t, pid: pid_t)? {
        var peer = bd_peer()
        guard bd_peer_credentials(fd, &peer) == 0 else { return nil }
        return (uid_t(peer.uid), pid_t(peer.pid))
    }

    /// Writes all of `data`; false when the peer is gone or the send timeout passed.
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}

/// Reads newline-terminated lines from a socket, at most `limit` bytes a line.
final class LineReader {
    private let fd: Int32
    private let limit: Int
    private var buffer: [UInt8] = []

    init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    /// Exactly `count` bytes (what is buffered after the last line first); nil when the peer
    /// closed or timed out before sending them all.
    func read(count: Int) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        buffer.reserveCapacity(count)
        while buffer.count < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - buffer.count), 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if !(n < 0 && errno == EINTR) {
                return nil
            }
        }
        if buffer.count == count {
            // The usual case (a WAL file is the request's last part): hand the buffer over, no copy.
            defer { buffer = [] }
            return buffer
        }
        defer { buffer.removeSubrange(..<count) }
        return Array(buffer[..<count])
    }

    /// The next line without its newline; nil at end of file, on a timeout or an over-long line.
    func next() -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard buffer.count <= limit else { return nil }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return nil
            }
        }
    }
}
