import Foundation
import Glibc

/// A PostgreSQL cluster of the test's own under `directory` (initdb, trust on its Unix socket,
/// no TCP), run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
final class PITRCluster: @unchecked Sendable {
    let directory: String
    let data: String
    let socketDirectory: String
    let port: Int

    /// PostgreSQL's newest installed server programs.
    static func bin() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let newest = versions.compactMap(Int.init).max() else { throw TestSetupError("no PostgreSQL server in /usr/lib/postgresql (run scripts/install-deps.sh)") }
        return "/usr/lib/postgresql/\(newest)/bin"
    }

    /// Runs `argv` as the server's user from `directory`; returns status, stdout and stderr.
    @discardableResult
    static func asServerUser(_ argv: [String], in directory: String, check: Bool = true) throws -> (status: Int32, stdout: String, stderr: String) {
        // posix_spawn and waitpid, not Foundation's Process: a server that pg_ctl starts inherits
        // what Process watches for the child's end, and its wait would last as long as the server.
        let capture = FileManager.default.temporaryDirectory.path + "/pitr-capture-\(UUID().uuidString)"
        defer {
            unlink(capture + ".out")
            unlink(capture + ".err")
        }
        let words = (geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + argv
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = "cd '\(directory)' && exec \(quoted) </dev/null >'\(capture).out' 2>'\(capture).err'"
        var pid: pid_t = 0
        let shell: [String] = ["/bin/sh", "-c", script]
        let args: [UnsafeMutablePointer<CChar>?] = shell.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, args, environ) == 0 else { throw TestSetupError("cannot start \(argv[0])") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let stdout = (try? String(contentsOfFile: capture + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: capture + ".err", encoding: .utf8)) ?? ""
        let result = (exit, stdout, stderr)
        if check, result.0 != 0 { throw TestSetupError("\(argv.joined(separator: " ")) failed (\(result.0)): \(result.2)") }
        return result
    }

    /// A directory the server's user owns (0700).
    static func ownedDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o700)
        if geteuid() == 0, let user = getpwnam("postgres") { chown(path, user.pointee.pw_uid, user.pointee.pw_gid) }
    }

    /// A free loopback port.
    static func freePort() throws -> Int {
        let (fd, port) = try LoopbackSocket.listen(what: "PostgreSQL")
        close(fd)
        return port
    }

    /// A new cluster in `directory/data` whose `archive_command` is `archiveCommand`.
    init(directory: String, archiveCommand: String) throws {
        self.directory = directory
        data = directory + "/data"
        socketDirectory = directory
        port = try Self.freePort()
        try Self.ownedDirectory(directory)
        try Self.asServerUser([try Self.bin() + "/initdb", "-D", data, "--auth=trust", "-U", "postgres", "--no-sync"], in: directory)
        let settings = """
            port = \(port)
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            wal_level = replica
            archive_mode = on
            archive_command = '\(archiveCommand)'
            fsync = off

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try handle.close()
        try Self.asServerUser([try Self.bin() + "/pg_ctl", "-D", data, "-l", directory + "/server.log", "-w", "start"], in: directory)
    }

    /// A cluster restored into `data`: started on its own port and socket, with archiving off
    /// unless `archiving` (then it archives its new timeline with the restored configuration's
    /// `archive_command`, into the same job). It returns once the server is promoted, unless
    /// `awaitingPromotion` is false (a server expected to stop during recovery).
    init(restored data: String, scratch: String, archiving: Bool = false, awaitingPromotion: Bool = true) throws {
        directory = scratch
        self.data = data
        socketDirectory = scratch
        port = try Self.freePort()
        try Self.ownedDirectory(scratch)
        if geteuid() == 0 { _ = try? Self.asRoot(["/bin/chown", "-R", "postgres:postgres", data]) }
        try Self.asServerUser([
            try Self.bin() + "/pg_ctl", "-D", data, "-l", scratch + "/server.log", "-w", "-t", "120",
            "-o", "-p \(port)\(archiving ? "" : " -c archive_mode=off") -c unix_socket_directories=\(scratch)", "start",
        ], in: scratch)
        // A restored cluster accepts read-only connections while it still replays WAL (hot
        // standby): wait for the promotion that ends recovery, or a query sees a partial replay.
        let deadline = Date().addingTimeInterval(awaitingPromotion ? 120 : 0)
        while Date() < deadline, (try? psql("SELECT pg_is_in_recovery()")) != "f" { usleep(200_000) }
    }

    private static func asRoot(_ argv: [String]) throws -> Int32 {
        var pid: pid_t = 0
        let args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        guard posix_spawn(&pid, argv[0], nil, nil, args, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }

    /// One SQL command's unaligned, tuples-only output.
    func psql(_ sql: String) throws -> String {
        try Self.asServerUser(
            [try Self.bin() + "/psql", "-X", "-A", "-t", "-h", socketDirectory, "-p", String(port), "-d", "postgres", "-c", sql],
            in: directory
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's log so far.
    var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    /// Stops the server (fast); quiet when it is not running.
    func stop() {
        _ = try? Self.asServerUser([try Self.bin() + "/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], in: directory, check: false)
    }
}
