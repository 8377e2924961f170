import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The regular files under `roots` (recursively, each read up to 1 MiB) whose bytes contain `needle`.
func filesContaining(_ needle: String, under roots: [String]) -> [String] {
    let bytes = Data(needle.utf8)
    var found: [String] = []
    for root in roots {
        guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            let data = (try? handle.read(upToCount: 1 << 20)) ?? nil
            try? handle.close()
            if let data, data.range(of: bytes) != nil { found.append(path) }
        }
    }
    return found
}

/// The children of `parent` whose command name is `name` (from /proc).
func childProcesses(of parent: Int32, named name: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
        let comm = stat[stat.index(after: open)..<close]
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return comm == name && fields.count > 1 && Int32(fields[1]) == parent
    }
}

/// Secrets leave no trace, through the real binary against the real PostgreSQL server.
@Suite("Secrets leave no trace", .timeLimit(.minutes(3)), .ownThreads)
struct SecretTraceTests {
    /// A daemon SIGKILLed while pg_dump runs (blocked on a table lock another session holds, after
    /// it authenticated with the passfile): the passfile was a memory file (`/proc/self/fd/N`, a
    /// memfd), so no file under /dev/shm or the test's directory (state directory, config, logs) holds the
    /// password, during the dump, after the kill, or after a restart, which also removes a stale
    /// `backupd-secrets-*` directory an older backupd left.
    @Test func sigkillDuringPostgresDumpLeavesNoPassword() async throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "trace")
        let role = TestServers.uniqueName("trace")
        let password = "pw-\(UUID().uuidString)"
        _ = try server.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'; ALTER DATABASE \(database) OWNER TO \(role);", database: "postgres")
        defer {
            try? server.dropDatabase(database)
            _ = try? server.psql("DROP ROLE IF EXISTS \(role)", database: "postgres")
        }
        _ = try server.psql("CREATE TABLE locked (x int); INSERT INTO locked VALUES (1); ALTER TABLE locked OWNER TO \(role);", database: database)
        let holder = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["psql", "-X", "-h", server.host, "-p", String(server.port), "-U", server.user, "-d", database,
                   "-c", "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;"],
            environment: Pipeline.defaultEnvironment.merging(server.clientEnvironment) { _, new in new }, captureOutput: false))
        defer {
            holder.kill()
            _ = holder.wait()
        }

        let setup = try await OwnershipSetup(label: "trace")
        defer { setup.remove() }
        let job = """
            {"name": "pg", "engine": "postgres", "schedule": "0 0 1 1 *", "destination": "local", "prefix": "trace/pg", "catchUp": "none",
             "connection": {"host": "\(server.host)", "port": \(server.port), "username": "\(role)", "password": {"env": "TRACE_PG_PASSWORD"},
                            "database": "\(database)"}}
            """
        try setup.writeConfig(jobs: [job])
        let environment = setup.environment.merging(["TRACE_PG_PASSWORD": password]) { $1 }
        let roots = ["/dev/shm", setup.directory]
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        let runNow = try BackupdProcess(["run-now", "pg", "--config", setup.configPath], directory: setup.directory, environment: environment)
        defer { runNow.kill() }

        // pg_dump has authenticated (with the passfile) and waits for the lock.
        let waiting = try await poll(timeout: 30) {
            let count = try server.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)' AND usename = '\(role)' AND wait_event_type = 'Lock'",
                database: "postgres")
            return count.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
        }
        #expect(waiting, "pg_dump never waited for the lock; run-now: \(runNow.stderr)\nlog:\n\(daemon.log)")
        let dumps = childProcesses(of: daemon.process.processIdentifier, named: "pg_dump")
        defer { for pid in dumps { kill(pid, SIGKILL) } }
        let dump = try #require(dumps.first, "no pg_dump child; log:\n\(daemon.log)")
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(dump)/environ"))) ?? Data()
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let passfile = try #require(variables.first { $0.hasPrefix("PGPASSFILE=") }?.dropFirst("PGPASSFILE=".count))
        #expect(passfile.hasPrefix("/proc/self/fd/"), "\(passfile)")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(dump)/fd/\(passfile.dropFirst("/proc/self/fd/".count))")
        #expect(target.hasPrefix("/memfd:"), "\(target)")
        #expect(filesContaining(password, under: roots).isEmpty, "the password is in a file during the dump")

        daemon.send(SIGKILL)
        _ = await daemon.waitForExit(timeout: 10)
        #expect(filesContaining(password, under: roots).isEmpty, "the password is in a file after SIGKILL")

        // What an older backupd killed the same way left behind.
        // A parent only this daemon sweeps ($XDG_RUNTIME_DIR is its own): a daemon of a parallel
        // test sweeps /dev/shm too and could remove a planted directory there first.
        let runtime = setup.directory + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let stale = "\(runtime)/\(SecretDirectory.directoryPrefix)\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: stale) }
        try "*:*:*:*:\(password)\n".write(toFile: stale + "/1-pgpass", atomically: false, encoding: .utf8)
        for pid in dumps { kill(pid, SIGKILL) }

        let restarted = try DaemonProcess(
            configPath: setup.configPath, directory: setup.directory, environment: environment.merging(["XDG_RUNTIME_DIR": runtime]) { $1 })
        defer { restarted.cleanUp() }
        #expect(await restarted.notify.waitFor("READY=1", timeout: 20), "log:\n\(restarted.log)")
        #expect(!FileManager.default.fileExists(atPath: stale), "the stale credentials directory is still there")
        #expect(restarted.log.contains("removed a credentials directory a stopped backupd left behind"), "log:\n\(restarted.log)")
        #expect(filesContaining(password, under: roots).isEmpty, "the password is in a file after the restart")
        restarted.send(SIGTERM)
        #expect(await restarted.waitForExit(timeout: 30) == 0, "log:\n\(restarted.log)")
    }
}
