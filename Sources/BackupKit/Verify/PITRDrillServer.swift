import BackupCore
import Foundation
import Glibc

/// The PostgreSQL server of a PITR drill on its scratch copy: its own configuration file (Unix
/// socket in a private directory, no TCP, `hot_standby` off, archiving off), an `hba_file` that
/// trusts only that socket, run with the server programs of the data directory's major version,
/// as `user` through `runuser` when given (backupd runs as root).
struct PITRDrillServer: Sendable {
    let directory: String
    let data: String
    let user: String?
    let role: String
    let launcher: any ProcessLauncher
    let environment: [String: String]
    var socketDirectory: String { directory + "/socket" }
    var port = 5432

    init(directory: String, data: String, user: String?, role: String, launcher: any ProcessLauncher, environment: [String: String]) throws {
        self.directory = directory
        self.data = data
        self.user = user
        self.role = role
        self.launcher = launcher
        self.environment = environment
        port = Self.freeLoopbackPort() ?? 5432
    }

    /// How waiting for the promotion ended.
    enum Outcome: Sendable {
        case promoted
        case died(String)
        case timedOut
    }

    /// `/usr/lib/postgresql/MAJOR/bin` for the data directory's `PG_VERSION`; throws `serverMissing`.
    func bin() throws -> String {
        let version = ((try? String(contentsOfFile: data + "/PG_VERSION", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !version.isEmpty else { throw PITRDrillError.step("the restored directory has no PG_VERSION: not a PostgreSQL data directory") }
        let bin = "/usr/lib/postgresql/\(version)/bin"
        guard access(bin + "/postgres", X_OK) == 0, access(bin + "/pg_ctl", X_OK) == 0, access(bin + "/psql", X_OK) == 0 else {
            throw PITRDrillError.serverMissing(
                "PostgreSQL \(version) server programs not installed (\(bin)/postgres); install the Debian package postgresql-\(version)")
        }
        return bin
    }

    /// Writes the drill's configuration and gives the scratch directory to the server's user.
    func prepare() async throws {
        _ = try bin()
        mkdir(socketDirectory, 0o700)
        let conf = """
            listen_addresses = ''
            port = \(port)
            unix_socket_directories = '\(socketDirectory)'
            hba_file = '\(directory)/drill_hba.conf'
            ident_file = '\(directory)/drill_ident.conf'
            hot_standby = off
            archive_mode = off
            logging_collector = off
            shared_preload_libraries = ''
            ssl = off

            """
        do {
            try conf.write(toFile: directory + "/drill.conf", atomically: false, encoding: .utf8)
            try "local all all trust\n".write(toFile: directory + "/drill_hba.conf", atomically: false, encoding: .utf8)
            try "".write(toFile: directory + "/drill_ident.conf", atomically: false, encoding: .utf8)
        } catch {
            throw PITRDrillError.step("cannot write the drill's configuration in \(directory): \(error.localizedDescription)")
        }
        if let user {
            let run = try await capture(["chown", "-R", "\(user):", directory], asUser: false)
            guard run.exit.succeeded else { throw PITRDrillError.step("chown -R \(user): \(directory) failed: \(run.errors)") }
        }
    }

    /// Starts `postgres` (a child of the launcher, in its own process group, so a stop kills it).
    func start() throws -> any RunningProcess {
        let bin = try bin()
        let argv = [bin + "/postgres", "-D", data, "-c", "config_file=\(directory)/drill.conf"]
        do {
            return try launcher.launch(ProcessSpec(argv: wrapped(argv), environment: environment, captureOutput: false))
        } catch {
            throw PITRDrillError.serverFailed("cannot start \(bin)/postgres: \(error)")
        }
    }

    /// Waits until the server accepts a connection and is out of recovery, it dies, or `timeout` passes.
    func awaitPromotion(_ process: any RunningProcess, timeout: Duration, clock: any WallClock) async -> Outcome {
        let deadline = clock.now().addingTimeInterval(timeout.seconds)
        while clock.now() < deadline, !Task.isCancelled {
            if (try? await query("SELECT pg_is_in_recovery()")) == "f" { return .promoted }
            if Self.hasEnded(process.pid) {
                let exit = await process.ended()
                return .died("\(exit): \(StderrSummary.summarize(process.stderrTail()))")
            }
            try? await Task.sleep(for: .milliseconds(300))
        }
        return .timedOut
    }

    /// Whether the child `pid` has ended (a zombie not yet reaped, or gone), read from `/proc`
    /// without reaping it (its `RunningProcess` does that).
    static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command name's closing parenthesis.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// One query's unaligned, tuples-only answer over the private socket.
    func query(_ sql: String) async throws -> String {
        let bin = try bin()
        let run = try await capture(
            [bin + "/psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", String(port), "-U", role, "-d", "template1", "-c", sql],
            asUser: true)
        guard run.exit.succeeded else { throw PITRDrillError.recovery("the query on the restored cluster failed: \(run.errors.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (`pg_ctl stop -m fast`, then a kill when that fails) and waits for it; a problem, or nil.
    func stop(_ process: any RunningProcess) async -> String? {
        var problem: String?
        if let bin = try? bin(),
           let run = try? await capture([bin + "/pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop"], asUser: true), !run.exit.succeeded,
           !run.errors.contains("no server running") {
            problem = "pg_ctl stop -m fast failed: \(run.errors.trimmingCharacters(in: .whitespacesAndNewlines))"
            process.kill()
        }
        _ = await process.ended()
        return problem
    }

    private func wrapped(_ argv: [String]) -> [String] {
        guard let user else { return argv }
        return ["runuser", "-u", user, "--"] + argv
    }

    /// Runs `argv` (as the server's user when `asUser`) and returns its exit, stdout and stderr.
    private func capture(_ argv: [String], asUser: Bool) async throws -> (exit: ProcessExit, output: String, errors: String) {
        let process = try launcher.launch(ProcessSpec(argv: asUser ? wrapped(argv) : argv, environment: environment))
        // Read to the end and reaped whatever happens; a cancellation kills the child, which ends the read.
        return try await withTaskCancellationHandler {
            await BlockingBridge.shared.runToCompletion {
                Result { () throws -> (exit: ProcessExit, output: String, errors: String) in
                    let output: [UInt8]
                    do {
                        output = try process.readAllOutput()
                    } catch {
                        process.kill()
                        _ = process.wait()
                        throw error
                    }
                    return (process.wait(), String(decoding: output, as: UTF8.self), process.stderrTail())
                }
            }
        } onCancel: {
            process.kill()
        }.get()
    }

    /// A port nothing listens on at 127.0.0.1 now (it names the socket file; the server has no TCP).
    static func freeLoopbackPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
