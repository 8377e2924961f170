import Foundation
import Glibc

/// `wal-push` on the control socket: the request line names the job and the WAL file, its bytes
/// follow; the daemon replies `result` only once the file is stored at every destination.
extension ControlServer {
    /// What the daemon does for `wal-push`, and whom it admits for it.
    public struct WALPushing: Sendable {
        /// The uids of the PITR jobs' `archiveUser`s (read at each connection, so reloads count).
        public var archiveUIDs: @Sendable () -> Set<UInt32>
        /// Stores the file for (job, name, bytes, peer uid); returns what was done, throws why not.
        public var push: @Sendable (String, String, [UInt8], UInt32) async throws -> String
        /// Told, after each push (stored or not), (job, the segments the push found waiting in the
        /// server's `pg_wal/archive_status` besides its own file); not called when the push sent no count.
        public var noteWaiting: @Sendable (String, Int) -> Void
        /// `wal-ahead`: stores (job, name, bytes, peer uid) sent ahead of its push, if it can;
        /// nobody waits for the outcome (see `WALAheadStores`).
        public var ahead: @Sendable (String, String, [UInt8], UInt32) async -> Void

        /// Admits `archiveUIDs` and stores with `push`.
        public init(
            archiveUIDs: @escaping @Sendable () -> Set<UInt32>, noteWaiting: @escaping @Sendable (String, Int) -> Void = { _, _ in },
            ahead: @escaping @Sendable (String, String, [UInt8], UInt32) async -> Void = { _, _, _, _ in },
            push: @escaping @Sendable (String, String, [UInt8], UInt32) async throws -> String
        ) {
            self.archiveUIDs = archiveUIDs
            self.noteWaiting = noteWaiting
            self.ahead = ahead
            self.push = push
        }
    }

    /// The commands that carry a WAL file: `wal-push`, and `wal-ahead` (a segment sent ahead of its push).
    static let walCommands: Set<String> = ["wal-push", "wal-ahead"]

    /// The largest WAL file accepted (PostgreSQL's default segment is 16 MiB).
    static let walSizeLimit = 64 * 1024 * 1024

    /// The socket's mode: 0600 (root and the daemon's user), 0666 when archive users must reach it
    /// too; who is served is decided by SO_PEERCRED either way.
    var socketMode: mode_t {
        guard let wal, !wal.archiveUIDs().isEmpty else { return 0o600 }
        return 0o666
    }

    func admitsForWAL(_ uid: uid_t) -> Bool {
        wal?.archiveUIDs().contains(UInt32(uid)) ?? false
    }

    /// With archive users, the state directory gets o+x (enter, not list) so they reach the socket;
    /// every file in it stays 0600.
    func openStateDirectoryForArchiveUsers() {
        guard socketMode != 0o600 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        guard stat(directory, &info) == 0 else { return }
        if info.st_mode & 0o001 == 0 { chmod(directory, (info.st_mode & 0o7777) | 0o001) }
    }

    /// Blocking: reads the WAL file that follows the request line, or nil after queueing the error
    /// that refuses it.
    func readWALPush(_ request: ControlRequest, peerUID: uid_t, fd: Int32, reader: LineReader, reply: ControlReply) -> WALPushRequest? {
        guard Self.walCommands.contains(request.command), wal != nil else {
            reply.finish(ControlEvent(.error, message: "permission denied: this user may only archive WAL (wal-push)"))
            return nil
        }
        guard let header = request.wal, (0...Self.walSizeLimit).contains(header.size) else {
            reply.finish(ControlEvent(.error, message: "bad request: wal-push needs \"wal\": {\"name\", \"size\"} with a size up to \(Self.walSizeLimit) bytes"))
            return nil
        }
        UnixSocket.setTimeouts(fd, receive: .seconds(30), send: .seconds(10))
        guard let contents = reader.read(count: header.size) else {
            reply.finish(ControlEvent(.error, message: "the WAL file's \(header.size) bytes did not arrive"))
            return nil
        }
        return WALPushRequest(
            job: request.job, name: header.name, contents: contents, peerUID: UInt32(peerUID), waiting: header.waiting.map { max(0, $0) },
            ahead: request.command == "wal-ahead")
    }

    /// Takes a segment sent ahead: says so at once (the sender does not wait for the store), then
    /// stores it while the connection's task lives.
    func storeAhead(_ push: WALPushRequest, reply: ControlReply) async {
        guard let wal else { return }
        reply.finish(ControlEvent(.result, message: "taken ahead"))
        await reply.deliver()
        await wal.ahead(push.job, push.name, push.contents, push.peerUID)
    }

    /// Stores a pushed WAL file and answers only once it is stored (or why not).
    func store(_ push: WALPushRequest, reply: ControlReply) async {
        guard let wal else { return }
        let answer: ControlEvent
        do {
            answer = ControlEvent(.result, message: try await wal.push(push.job, push.name, push.contents, push.peerUID))
        } catch {
            answer = ControlEvent(.error, message: "\(error)")
        }
        // Recorded before the answer, so whoever reads the history after wal-push exits sees it.
        if let waiting = push.waiting { wal.noteWaiting(push.job, waiting) }
        reply.finish(answer)
    }
}

/// A `wal-push` request with the file's bytes, read from its connection.
struct WALPushRequest: Sendable {
    var job: String
    var name: String
    var contents: [UInt8]
    var peerUID: UInt32
    var waiting: Int?
    /// `wal-ahead`: sent before PostgreSQL asked for it (see `WALAheadStores`).
    var ahead = false
}

/// The WAL file a `wal-push` request carries after its line.
public struct WALPushHeader: Codable, Sendable, Equatable {
    /// Its name (`000000010000000000000002`).
    public var name: String
    /// Its size in bytes.
    public var size: Int
    /// The other WAL files waiting in the server's `pg_wal/archive_status` (`.ready`) when it was
    /// sent; nil when wal-push could not count them (the file is not in a server's `pg_wal`).
    public var waiting: Int?

    /// Describes a WAL file.
    public init(name: String, size: Int, waiting: Int? = nil) {
        self.name = name
        self.size = size
        self.waiting = waiting
    }
}

extension ControlRequest {
    /// A wal-push request for `job`.
    public init(walPush job: String, header: WALPushHeader) {
        self.init(runNow: job, wait: false)
        command = "wal-push"
        wait = nil
        wal = header
    }

    /// A wal-ahead request for `job`: a segment sent before PostgreSQL asks for it.
    public init(walAhead job: String, header: WALPushHeader) {
        self.init(walPush: job, header: header)
        command = "wal-ahead"
    }
}
