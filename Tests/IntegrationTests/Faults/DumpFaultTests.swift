import Foundation
import Glibc
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Kills the first dump tool it starts (not the version queries) with SIGKILL from outside, as an
/// OOM killer or an operator would, once backupd has read `after` bytes of its output: the tool
/// dies mid-stream.
final class KillingLauncher: ProcessLauncher, @unchecked Sendable {
    let base = PosixProcessLauncher()
    let tool: String
    let after: Int
    private let armed = Atomic<Bool>(true)

    init(tool: String, after: Int) {
        self.tool = tool
        self.after = after
    }

    func locate(_ program: String, path: String) -> String? { base.locate(program, path: path) }

    func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        let process = try base.launch(spec)
        guard spec.argv[0] == tool, !spec.argv.contains("--version"), armed.exchange(false, ordering: .relaxed) else { return process }
        return KilledAfter(process, after: after)
    }
}

/// Passes a process through, sending it SIGKILL once `after` bytes of its output were read.
final class KilledAfter: RunningProcess, @unchecked Sendable {
    let inner: any RunningProcess
    let after: Int
    private var read = 0

    init(_ inner: any RunningProcess, after: Int) {
        self.inner = inner
        self.after = after
    }

    var pid: Int32 { inner.pid }

    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.readOutput(into: buffer)
        read += n
        if read >= after { _ = Glibc.kill(inner.pid, SIGKILL) }
        return n
    }

    func writeInput(_ bytes: UnsafeRawBufferPointer) throws { try inner.writeInput(bytes) }
    func closeInput() { inner.closeInput() }
    func kill() { inner.kill() }
    func wait() -> ProcessExit { inner.wait() }
    func stderrTail() -> String { inner.stderrTail() }
}

@Suite("Dump faults", .serialized, .ownThreads)
struct DumpFaultTests {
    /// A postgres job of the test server with `database` and `password`.
    func job(_ server: PostgresTestServer, database: String, password: String? = nil, timeout: String? = nil) -> [String: Any] {
        var job: [String: Any] = [
            "engine": "postgres",
            "connection": ["host": server.host, "port": server.port, "username": server.user, "password": password ?? server.password, "database": database],
        ]
        if let timeout { job["timeout"] = timeout }
        return job
    }

    /// pg_dump killed mid-stream: the run fails naming the signal, no object and no open upload remain.
    @Test func toolKilledMidStream() async throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "kill")
        defer { try? server.dropDatabase(database) }
        try seedPostgres(server, database: database, bigRows: 400_000)
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(
            destination: destination, name: "kill", job: job(server, database: database),
            launcher: KillingLauncher(tool: "pg_dump", after: 8 << 20))
        let outcome = await pipeline.backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job kill: pg_dump failed (killed by signal 9 (SIGKILL))") == true, "\(outcome.error ?? "")")
        #expect(outcome.bytesRead ?? 0 > 0)
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// A dump that outlives its timeout (pg_dump waiting for a lock another session holds) is
    /// killed at the deadline; nothing is left in the bucket.
    @Test func timeout() async throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "slow")
        defer { try? server.dropDatabase(database) }
        _ = try server.psql("CREATE TABLE locked (x int); INSERT INTO locked VALUES (1);", database: database)
        // Holds an exclusive lock for 30 s in another session.
        let holder = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["psql", "-X", "-h", server.host, "-p", String(server.port), "-U", server.user, "-d", database,
                   "-c", "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;"],
            environment: Pipeline.defaultEnvironment.merging(server.clientEnvironment) { _, new in new }, captureOutput: false))
        defer {
            holder.kill()
            _ = holder.wait()
        }
        try? await Task.sleep(for: .seconds(1))
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "slow", job: job(server, database: database, timeout: "3s"))
        let started = Date()
        let outcome = await pipeline.backup()
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(outcome.status == .failed)
        #expect(outcome.error == "job slow: timed out after 3s: the dump was killed and its upload aborted; raise \"timeout\" or find what slows it")
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// A command whose grandchild left the process group (setsid) and holds stdout open: the
    /// timeout still ends the run within seconds (group killed, the pipe no longer read, the
    /// upload aborted), recorded as failed with "timed out after 3s"; nothing stays in the bucket.
    @Test func timeoutWithEscapedGrandchild() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-escape-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pidFile = directory + "/grandchild.pid"
        defer {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                _ = Glibc.kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
        let script = "setsid sh -c 'echo $$ > \(pidFile); exec sleep 1000' & head -c 7000000 /dev/urandom; exec sleep 1000"
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "escape", job: [
            "engine": "command", "timeout": "3s", "compression": "none",
            "connection": ["argv": ["/bin/sh", "-c", script], "extension": ".bin"],
        ])
        let started = Date()
        let outcome = await pipeline.backup()
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 12, "the run took \(elapsed) s after a 3 s timeout")
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("timed out after 3s") == true, "\(outcome.error ?? "")")
        #expect(FileManager.default.fileExists(atPath: pidFile), "the grandchild never started")
        await #expect(try destination.isEmpty(prefix: ""), "an object or an open upload was left behind")
    }

    /// A database that does not exist is reported as such before any upload.
    @Test func missingDatabase() async throws {
        let server = try TestServers.postgres()
        let destination = try await TestDestination.make()
        let name = TestServers.uniqueName("missing")
        let outcome = try await Pipeline(destination: destination, name: "nodb", job: job(server, database: name)).backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job nodb: database \(name) does not exist") == true, "\(outcome.error ?? "")")
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// A wrong password is reported as rejected credentials, and the password never shows.
    @Test func wrongPassword() async throws {
        let server = try TestServers.postgres()
        let destination = try await TestDestination.make()
        let wrong = "Wr0ng-" + TestServers.uniqueName("pw")
        let outcome = try await Pipeline(destination: destination, name: "badpw", job: job(server, database: "postgres", password: wrong)).backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job badpw: the server rejected user \(server.user)") == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains(wrong) == false)
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// MariaDB: a wrong password and a missing database are told apart too.
    @Test func mariadbFaults() async throws {
        let server = try TestServers.mariadb()
        let destination = try await TestDestination.make()
        let base: [String: Any] = ["host": server.host, "port": server.port, "username": server.user]
        var wrong = base
        wrong["password"] = "nope-\(TestServers.uniqueName())"
        wrong["database"] = "mysql"
        let badPassword = try await Pipeline(destination: destination, name: "mybad", job: ["engine": "mysql", "connection": wrong]).backup()
        #expect(badPassword.error?.hasPrefix("job mybad: the server rejected user \(server.user)") == true, "\(badPassword.error ?? "")")
        var missing = base
        missing["password"] = server.password
        missing["database"] = TestServers.uniqueName("absent")
        let noDatabase = try await Pipeline(destination: destination, name: "mynodb", job: ["engine": "mysql", "connection": missing]).backup()
        #expect(noDatabase.error?.hasPrefix("job mynodb: database \(missing["database"]!) does not exist") == true, "\(noDatabase.error ?? "")")
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// Redis: a wrong password and a refused connection.
    @Test func redisFaults() async throws {
        let server = try TestServers.redis()
        let destination = try await TestDestination.make()
        let bad = try await Pipeline(destination: destination, name: "rbad", job: [
            "engine": "redis", "connection": ["host": server.host, "port": server.port, "password": "wrong-one"],
        ]).backup()
        #expect(bad.error?.hasPrefix("job rbad: the server rejected user default") == true, "\(bad.error ?? "")")
        let refused = try await Pipeline(destination: destination, name: "rnone", job: [
            "engine": "redis", "connection": ["host": "127.0.0.1", "port": 1, "password": "x"],
        ]).backup()
        #expect(refused.error?.hasPrefix("job rnone: cannot connect to 127.0.0.1:1") == true, "\(refused.error ?? "")")
        await #expect(try destination.isEmpty(prefix: ""))
    }
}
