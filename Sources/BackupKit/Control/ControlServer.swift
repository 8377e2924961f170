import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// The daemon's control socket (`control.sock` in the state directory, mode 0600, in a 0700
/// directory): line-delimited JSON, one request per connection. Only root and the daemon's own
/// user are served (checked by SO_PEERCRED). The accept loop and each connection run on their
/// own threads with read and write timeouts, so a client can never block the daemon.
public final class ControlServer: Service, Sendable {
    /// The socket's name in the state directory.
    public static let fileName = "control.sock"
    /// The longest request line accepted.
    static let requestLimit = 64 * 1024

    /// The socket's path.
    public let path: String
    private let logger: Logger
    private let handler: @Sendable (ControlRequest, ControlReply) -> Void
    private let stopped = Atomic<Bool>(false)
    /// PITR: the users admitted (besides root and the daemon's) for `wal-push` only, and its handler.
    let wal: ControlServer.WALPushing?

    /// A server at `stateDirectory/control.sock` that hands each request to `handler`, which
    /// answers through the reply (from any thread, at any later time); `wal-push` goes to `wal`.
    public init(
        stateDirectory: String, logger: Logger, wal: ControlServer.WALPushing? = nil,
        handler: @escaping @Sendable (ControlRequest, ControlReply) -> Void
    ) {
        path = Self.path(stateDirectory: stateDirectory)
        self.logger = logger
        self.handler = handler
        self.wal = wal
    }

    /// The control socket of `stateDirectory`.
    public static func path(stateDirectory: String) -> String {
        (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory) + "/" + fileName
    }

    /// Listens until cancelled (the daemon runs it through `UntilShutdown`). A socket that cannot be created is logged
    /// (run-now then says the daemon cannot be reached) and the daemon goes on without it.
    public func run() async throws {
        let fd: Int32
        let socketFile: FileIdentity?
        do {
            (fd, socketFile) = try listen()
        } catch {
            logger.error("no control socket: run-now cannot reach this daemon", metadata: ["control.path": "\(path)", "error": "\(error)"])
            return
        }
        logger.debug("control socket listening", metadata: ["control.path": "\(path)"])
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    acceptLoop(fd)
                    continuation.resume()
                }
                thread.name = "backupd-control"
                thread.start()
            }
        } onCancel: {
            self.stopped.store(true, ordering: .releasing)
        }
        // Only our own socket: never one another process put at the path meanwhile.
        if let socketFile, FileIdentity(path: path) == socketFile { unlink(path) }
    }

    private func listen() throws -> (Int32, FileIdentity?) {
        guard let address = UnixSocket.address(path) else { throw ControlError.pathTooLong(path: path) }
        // The state lock is held, so a socket file left here is a crashed daemon's; one that answers
        // is a live daemon's all the same (the lock is not what it should be): never take it over.
        let probe = UnixSocket.makeSocket()
        if probe >= 0 {
            defer { close(probe) }
            if UnixSocket.connect(probe, address) == 0 { throw ControlError.inUse(path: path) }
        }
        let fd = UnixSocket.makeSocket()
        guard fd >= 0 else { throw ControlError.socket(path: path, call: "socket", errno: errno) }
        unlink(path)
        guard UnixSocket.bind(fd, address) == 0 else {
            let error = errno
            close(fd)
            throw ControlError.socket(path: path, call: "bind", errno: error)
        }
        chmod(path, socketMode)
        openStateDirectoryForArchiveUsers()
        guard Glibc.listen(fd, 16) == 0 else {
            let error = errno
            close(fd)
            throw ControlError.socket(path: path, call: "listen", errno: error)
        }
        return (fd, FileIdentity(path: path))
    }

    private func acceptLoop(_ fd: Int32) {
        defer { close(fd) }
        while !stopped.load(ordering: .acquiring) {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 250) > 0 else { continue }
            let client = UnixSocket.accept(fd)
            guard client >= 0 else { continue }
            let thread = Thread { [self] in serve(client) }
            thread.name = "backupd-control-client"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        UnixSocket.setTimeouts(fd, receive: .seconds(5), send: .seconds(10))
        let reply = ControlReply(fd: fd)
        guard let peer = UnixSocket.peer(fd), peer.uid == 0 || peer.uid == geteuid() || admitsForWAL(peer.uid) else {
            logger.warning("control connection refused: not root nor the daemon's user", metadata: ["control.path": "\(path)"])
            reply.finish(ControlEvent(.error, message: "permission denied: only root and the daemon's user may control backupd"))
            return
        }
        let reader = LineReader(fd: fd, limit: Self.requestLimit)
        guard let line = reader.next(),
              let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8))
        else {
            reply.finish(ControlEvent(.error, message: "bad request: send one JSON object such as {\"command\":\"run-now\",\"job\":\"NAME\"} on one line"))
            return
        }
        logger.info("control request", metadata: ["control.command": "\(request.command)", "job.name": "\(request.job)", "control.peer_pid": "\(peer.pid)"])
        if request.command == "wal-push" || !(peer.uid == 0 || peer.uid == geteuid()) {
            serveWALPush(request, peerUID: peer.uid, fd: fd, reader: reader, reply: reply)
            return
        }
        guard request.command == "run-now" else {
            reply.finish(ControlEvent(.error, message: "unknown command \"\(request.command)\"; this daemon knows run-now"))
            return
        }
        // Nothing more is read: the client only waits now, however long the run takes.
        UnixSocket.setTimeouts(fd, receive: nil, send: .seconds(10))
        handler(request, reply)
        reply.waitUntilFinished()
    }
}
