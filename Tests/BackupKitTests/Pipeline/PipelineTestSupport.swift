import Foundation
import Synchronization
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A config with one destination and one job built from `job` (merged over name/schedule/destination).
func pipelineConfig(_ job: [String: Any], compression: String = "zstd", timeout: String? = nil) throws -> BackupConfig {
    let text = configText { root in
        editJob(&root) { j in
            j = ["name": "job1", "schedule": "0 3 * * *", "destination": "local", "prefix": "pre/fix", "compression": compression]
            for (key, value) in job { j[key] = value }
            if let timeout { j["timeout"] = timeout }
        }
    }
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = text
    return try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
}

/// A fixed clock.
struct FixedClock: WallClock {
    var time: Date
    func now() -> Date { time }
}

/// 2026-11-25T02:30:00Z, the start time used in object names.
let pipelineStart = Date(timeIntervalSince1970: 1_795_573_800)

/// The environment the runners pass on in tests: this process's PATH.
let testEnvironment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent"]

/// A launcher that runs nothing: it records every spec and answers from a script, so that tests
/// can check argv and environment of every engine without its tools or servers.
final class RecordingLauncher: ProcessLauncher, @unchecked Sendable {
    struct Reply {
        var output: String = ""
        var stderr: String = ""
        var exit: ProcessExit = .exited(0)
        /// Binary output that replaces `output` (an RDB, a mongodump archive).
        var bytes: [UInt8]? = nil
    }
    private let lock = NSLock()
    private var recorded: [ProcessSpec] = []
    /// Files named on argv or in the environment, read while the process "runs" (they are gone after).
    private var files: [String: (contents: String, mode: Int)] = [:]
    let installed: Set<String>
    let reply: @Sendable (ProcessSpec) -> Reply

    init(installed: Set<String>, reply: @escaping @Sendable (ProcessSpec) -> Reply) {
        self.installed = installed
        self.reply = reply
    }

    var specs: [ProcessSpec] { lock.withLock { recorded } }
    var secretFiles: [String: (contents: String, mode: Int)] { lock.withLock { files } }

    func locate(_ program: String, path: String) -> String? {
        installed.contains(program) ? "/usr/bin/\(program)" : nil
    }

    func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        guard installed.contains(spec.argv[0]) else { throw ProcessError.notFound(program: spec.argv[0], path: "") }
        // The child's /proc/self/fd/N is the spec's inherited file N-3, which this process reads by its own number.
        func local(_ path: String) -> String? {
            if path.hasPrefix("/proc/self/fd/"), let n = Int(path.dropFirst("/proc/self/fd/".count)) {
                return n >= 3 && n - 3 < spec.inheritedFiles.count ? "/proc/self/fd/\(spec.inheritedFiles[n - 3])" : nil
            }
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        var candidates = spec.argv.compactMap { argument -> (String, String)? in
            guard let slash = argument.firstIndex(of: "/") else { return nil }
            let path = String(argument[slash...])
            return local(path).map { (path, $0) }
        }
        candidates += spec.environment.values.filter { $0.hasPrefix("/") }.compactMap { path in local(path).map { (path, $0) } }
        lock.withLock {
            recorded.append(spec)
            for (path, readable) in candidates where path != "/dev/null" {
                var info = stat()
                stat(readable, &info)
                files[path] = ((try? String(contentsOfFile: readable, encoding: .utf8)) ?? "", Int(info.st_mode & 0o777))
            }
        }
        let answer = reply(spec)
        return ScriptedProcess(output: answer.bytes ?? Array(answer.output.utf8), stderr: answer.stderr, exit: answer.exit)
    }
}

/// A finished-at-once child: its output, stderr and exit are given.
final class ScriptedProcess: RunningProcess, @unchecked Sendable {
    let pid: Int32 = 99999
    private var output: [UInt8]
    private let stderr: String
    private let exit: ProcessExit
    private let lock = NSLock()
    private(set) var input: [UInt8] = []

    init(output: [UInt8], stderr: String, exit: ProcessExit) {
        self.output = output
        self.stderr = stderr
        self.exit = exit
    }

    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        lock.withLock {
            let n = min(buffer.count, output.count)
            output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            output.removeFirst(n)
            return n
        }
    }

    func writeInput(_ bytes: UnsafeRawBufferPointer) throws { lock.withLock { input.append(contentsOf: bytes) } }
    func closeInput() {}
    func kill() {}
    func wait() -> ProcessExit { exit }
    func stderrTail() -> String { stderr }
}

/// Replies like real tools of the given versions against a healthy server.
func healthyTools(pgDump: String = "15.4", pgServer: String = "150004", redisCLI: String = "7.0.15") -> @Sendable (ProcessSpec) -> RecordingLauncher.Reply {
    { spec in
        let argv = spec.argv
        switch argv[0] {
        case "pg_dump" where argv.contains("--version"): return .init(output: "pg_dump (PostgreSQL) \(pgDump) (Debian)\n")
        case "psql": return .init(output: "\(pgServer)\n")
        case "mariadb-dump" where argv.contains("--version"): return .init(output: "mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n")
        case "mariadb": return .init(output: "10.11.6-MariaDB-0+deb12u1\n")
        case "mongodump" where argv.contains("--version"): return .init(output: "mongodump version: 100.9.4\ngit version: abc\n")
        case "redis-cli" where argv.contains("--version"): return .init(output: "redis-cli \(redisCLI)\n")
        case "redis-cli" where argv.contains("INFO"): return .init(output: "# Server\r\nredis_version:7.0.15\r\n")
        // Dumps shaped as their engine's format check wants them (`DumpCheck`).
        case "pg_dump": return .init(output: "PGDMP-DUMPDATA-pg_dump")
        case "pg_dumpall": return .init(output: "DUMPDATA-pg_dumpall\n\(DumpCheck.pgDumpallTrailer)\n")
        case "mariadb-dump", "mysqldump": return .init(output: "DUMPDATA-\(argv[0])\n\(DumpCheck.mysqldumpTrailer) on 2026-12-01 03:00:00\n")
        // An RDB with rdbchecksum off: magic, content, EOF, eight zero bytes.
        case "redis-cli" where argv.contains("--rdb"): return .init(bytes: Array("REDIS0011DUMPDATA-redis-cli".utf8) + [0xFF] + [UInt8](repeating: 0, count: 8))
        case "mongodump": return .init(bytes: DumpCheck.mongoMagic + Array("DUMPDATA-mongodump".utf8))
        default: return .init(output: "DUMPDATA-\(argv[0])")
        }
    }
}

/// The run token the test runners use in object names.
let testToken = "0123abcd"

/// The manifest key of `job1`'s backup at `pipelineStart` with `testToken`.
let manifestKey = "pre/fix/job1-20261125T023000Z-0123abcd.manifest.json"
