import Foundation
import Glibc

/// `run-now`'s side of the control socket: connects, sends one request, reads event lines.
public final class ControlClient {
    /// The socket's path.
    public let path: String
    private let fd: Int32
    private let reader: LineReader

    /// Connects to the daemon's socket in `stateDirectory`; nil when no daemon listens there.
    /// Throws when one does but this user may not reach it.
    public static func connect(stateDirectory: String) throws -> ControlClient? {
        let path = ControlServer.path(stateDirectory: stateDirectory)
        guard let address = UnixSocket.address(path) else { return nil }
        let fd = UnixSocket.makeSocket()
        guard fd >= 0 else { return nil }
        guard UnixSocket.connect(fd, address) == 0 else {
            let error = errno
            close(fd)
            if error == EACCES || error == EPERM { throw ControlError.notPermitted(path: path) }
            return nil
        }
        return ControlClient(path: path, fd: fd)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
        reader = LineReader(fd: fd, limit: 1 << 20)
    }

    deinit { close(fd) }

    /// Sends the request (within 10 s), followed by `body` (a `wal-push`'s file).
    public func send(_ request: ControlRequest, body: [UInt8] = []) throws {
        UnixSocket.setTimeouts(fd, receive: nil, send: .seconds(10))
        var data = try JSONEncoder().encode(request)
        data.append(UInt8(ascii: "\n"))
        data.append(contentsOf: body)
        guard UnixSocket.writeAll(fd, data) else { throw ControlError.socket(path: path, call: "send", errno: errno) }
    }

    /// The next event; blocks as long as the run takes. Throws when the daemon went away first.
    public func next() throws -> ControlEvent {
        guard let line = reader.next() else { throw ControlError.connectionLost(path: path) }
        guard let event = try? JSONDecoder().decode(ControlEvent.self, from: Data(line.utf8)) else {
            throw ControlError.badReply(path: path, line: line)
        }
        return event
    }
}
