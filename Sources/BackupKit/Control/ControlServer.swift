import BackupCore
import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// The daemon's control socket (`control.sock` in the state directory, mode 0600, in a 0700
/// directory): line-delimited JSON, one request per connection. Only root and the daemon's own
/// user are served (checked by SO_PEERCRED). Accepting, reading and writing run on the
/// `BlockingBridge` with read and write timeouts, so a client can never block the daemon; each
/// connection is a child task, and cancellation shuts the sockets down.
public final class ControlServer: Service, Sendable {
    /// The socket's name in the state directory.
    public static let fileName = ControlSocket.fileName
    /// The longest request line accepted.
    static let requestLimit = 64 * 1024

    /// The socket's path.
    public let path: String
    private let logger: Logger
    private let handler: @Sendable (ControlRequest, ControlReply) -> Void
    private let stopped = Atomic<Bool>(false)
    /// The socket `bind()` made ahead of `run()` (nil: `run()` makes it).
    private let bound = Mutex<Result<(fd: Int32, file: FileIdentity?), any Error>?>(nil)
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
            (fd, socketFile) = try bound.withLock { made in
                defer { made = nil }
                return try (made ?? Result { try listen() }).get()
            }
        } catch {
            logger.error("no control socket: run-now cannot reach this daemon", metadata: ["control.path": "\(path)", "error": "\(error)"])
            return
        }
        logger.debug("control socket listening", metadata: ["control.path": "\(path)"])
        let bridge = BlockingBridge.shared
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let client = try? await bridge.run(interrupt: { [self] in
                    stopped.store(true, ordering: .releasing)
                    shutdown(fd, Int32(SHUT_RDWR))
                }, { [self] in accept(fd) })
                guard let client else { break }
                if client >= 0 {
                    group.addTask { [self] in await serve(client) }
                } else if !stopped.load(ordering: .acquiring) {
                    try? await Task.sleep(for: .milliseconds(250))  // out of descriptors: not a busy loop
                }
            }
        }
        close(fd)
        // Only our own socket: never one another process put at the path meanwhile.
        if let socketFile, FileIdentity(path: path) == socketFile { unlink(path) }
    }

    /// Makes the socket and listens now, before `run()` accepts on it: the daemon does this before
    /// its services start, so that READY=1 (sent by the scheduling service) never precedes a
    /// socket `run-now` can reach. A socket that cannot be made is reported by `run()`.
    public func bind() {
        bound.withLock { made in
            if made == nil { made = Result { try listen() } }
        }
    }

    private func listen() throws -> (fd: Int32, file: FileIdentity?) {
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

    /// The next connection, or -1 when none came before `stopped` was set or accept failed.
    private func accept(_ fd: Int32) -> Int32 {
        while !stopped.load(ordering: .acquiring) {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 250) > 0 else { continue }
            return UnixSocket.accept(fd)
        }
        return -1
    }

    /// Reads the request (through the bridge), hands it to the handler and writes its reply.
    private func serve(_ fd: Int32) async {
        defer { close(fd) }
        let reply = ControlReply(fd: fd)
        let request = try? await BlockingBridge.shared.run(interrupt: { shutdown(fd, Int32(SHUT_RDWR)) }) { [self] in
            readRequest(fd, reply: reply)
        }
        switch request ?? nil {
        case .run(let request)?:
            // Nothing more is read: the client only waits now, however long the run takes.
            UnixSocket.setTimeouts(fd, receive: nil, send: .seconds(10))
            handler(request, reply)
        case .walPush(let push)? where push.ahead:
            await storeAhead(push, reply: reply)
        case .walPush(let push)?:
            await store(push, reply: reply)
        case nil:
            break
        }
        await reply.deliver()
    }

    /// What a connection asks for, once read.
    enum Accepted: Sendable {
        case run(ControlRequest)
        case walPush(WALPushRequest)
    }

    /// The client's request, or nil after queueing the error that refuses it.
    private func readRequest(_ fd: Int32, reply: ControlReply) -> Accepted? {
        UnixSocket.setTimeouts(fd, receive: .seconds(5), send: .seconds(10))
        guard let peer = UnixSocket.peer(fd), peer.uid == 0 || peer.uid == geteuid() || admitsForWAL(peer.uid) else {
            logger.warning("control connection refused: not root nor the daemon's user", metadata: ["control.path": "\(path)"])
            reply.finish(ControlEvent(.error, message: "permission denied: only root and the daemon's user may control backupd"))
            return nil
        }
        let reader = LineReader(fd: fd, limit: Self.requestLimit)
        guard let line = reader.next(),
              let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8))
        else {
            reply.finish(ControlEvent(.error, message: "bad request: send one JSON object such as {\"command\":\"run-now\",\"job\":\"NAME\"} on one line"))
            return nil
        }
        // A segment sent ahead is logged when its own push is answered ("sent ahead"), not here.
        logger.log(
            level: request.command == "wal-ahead" ? .debug : .info, "control request",
            metadata: ["control.command": "\(request.command)", "job.name": "\(request.job)", "control.peer_pid": "\(peer.pid)"])
        if Self.walCommands.contains(request.command) || !(peer.uid == 0 || peer.uid == geteuid()) {
            return readWALPush(request, peerUID: peer.uid, fd: fd, reader: reader, reply: reply).map(Accepted.walPush)
        }
        guard request.command == "run-now" else {
            reply.finish(ControlEvent(.error, message: "unknown command \"\(request.command)\"; this daemon knows run-now, wal-push, wal-ahead"))
            return nil
        }
        return .run(request)
    }
}
