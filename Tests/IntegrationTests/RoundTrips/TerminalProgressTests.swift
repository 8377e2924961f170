import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Runs `backupd ARGUMENTS --config CONFIG` under a pseudo-terminal (util-linux `script`), so its
/// stderr is a TTY; returns everything the terminal received (stdout and stderr together).
private func underTerminal(_ fixture: BinaryJobFixture, _ arguments: [String]) throws -> (status: Int32, terminal: String) {
    let command = ([try backupdBinary()] + arguments + ["--config", fixture.configPath]).map { "'\($0)'" }.joined(separator: " ")
    let process = try PosixProcessLauncher().launch(ProcessSpec(argv: ["script", "-qec", command, "/dev/null"], environment: fixture.environment))
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
        if n == 0 { break }
        output.append(contentsOf: buffer[..<n])
    }
    return (process.wait().statusCode, String(decoding: output, as: UTF8.self))
}

/// The line was cleared for good before the result: after the last erase comes the result, and
/// no progress line.
private func clearedBeforeResult(_ terminal: String) -> Bool {
    guard let last = terminal.range(of: "\u{1B}[K", options: .backwards) else { return false }
    let after = terminal[last.upperBound...]
    return after.contains("backed up job in ") && !after.contains("elapsed")
}

/// The progress line's erase sequence: carriage return, erase to the end of the line.
private let erase = "\r\u{1B}[K"

@Suite("Progress on a terminal, through the real binary", .serialized, .ownThreads)
struct TerminalProgressTests {
    /// Under a pseudo-terminal run-now, restore and verify draw a progress line (bytes, rate,
    /// elapsed; restore and verify also the manifest's size) and clear it before the result;
    /// without a terminal, or with --json, stderr has none of it.
    @Test func progressOnlyOnATerminal() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "tty")
        let target = try server.createDatabase(prefix: "ttydst")
        defer {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
        }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;", database: source)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "postgres", "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "TTY_PG_PASSWORD"], "database": source]],
            environment: ["TTY_PG_PASSWORD": server.password])
        defer { fixture.remove() }

        let run = try underTerminal(fixture, ["run-now", "job"])
        #expect(run.status == 0, "\(run.terminal)")
        #expect(run.terminal.contains(erase + "backing up job: "), "\(run.terminal)")
        #expect(run.terminal.range(of: #"backing up job: [0-9.]+ (B|KiB|MiB)[^\r]*/s, 0:[0-9]{2} elapsed"#, options: .regularExpression) != nil, "\(run.terminal)")
        #expect(clearedBeforeResult(run.terminal), "\(run.terminal)")

        let restore = try underTerminal(fixture, ["restore", "job", "--to", target])
        #expect(restore.status == 0, "\(restore.terminal)")
        #expect(restore.terminal.range(of: #"restoring [0-9.]+ (B|KiB|MiB) of [0-9.]+ (B|KiB|MiB) \([0-9]+%\), "#, options: .regularExpression) != nil, "\(restore.terminal)")
        #expect(try server.psql("SELECT count(*) FROM t", database: target) == "20000\n")

        let verify = try underTerminal(fixture, ["verify", "job"])
        #expect(verify.status == 0, "\(verify.terminal)")
        #expect(verify.terminal.contains(erase + "verifying "), "\(verify.terminal)")
        let json = try underTerminal(fixture, ["verify", "job", "--json"])
        #expect(json.status == 0)
        #expect(!json.terminal.contains("verifying ") && !json.terminal.contains("\u{1B}[K"), "\(json.terminal)")

        // No terminal: the same commands print no progress at all.
        let plain = try fixture.backupd(["run-now", "job"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let plainVerify = try fixture.backupd(["verify", "job"])
        #expect(plainVerify.status == 0)
        for output in [plain.stderr, plain.stdout, plainVerify.stderr, plainVerify.stdout] {
            #expect(!output.contains("\u{1B}[K") && !output.contains("\r") && !output.contains("elapsed"), "\(output)")
        }
    }

    /// run-now handed to the running daemon shows the elapsed time (the bytes stay in the daemon)
    /// and the daemon's messages above it; the line is cleared before the result.
    @Test func runNowThroughTheDaemonShowsElapsed() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "ttyd")
        defer { try? server.dropDatabase(source) }
        _ = try server.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000);", database: source)
        let fixture = try await BinaryJobFixture.make(
            job: ["engine": "postgres", "connection": ["host": server.host, "port": server.port, "username": server.user, "password": ["env": "TTY_PG_PASSWORD"], "database": source]],
            environment: ["TTY_PG_PASSWORD": server.password])
        defer { fixture.remove() }
        let daemon = try DaemonProcess(configPath: fixture.configPath, directory: fixture.state, environment: fixture.environment)
        defer { daemon.cleanUp() }
        let socket = ControlServer.path(stateDirectory: fixture.state + "/state")
        #expect(await poll(timeout: 30) { FileManager.default.fileExists(atPath: socket) }, "\(daemon.log)")
        let run = try underTerminal(fixture, ["run-now", "job"])
        #expect(run.status == 0, "\(run.terminal)")
        #expect(run.terminal.range(of: NSRegularExpression.escapedPattern(for: erase) + #"backing up job in the daemon: 0:[0-9]{2} elapsed"#, options: .regularExpression) != nil, "\(run.terminal)")
        #expect(run.terminal.contains("uploading s3://"), "\(run.terminal)")
        #expect(clearedBeforeResult(run.terminal), "\(run.terminal)")
    }
}
