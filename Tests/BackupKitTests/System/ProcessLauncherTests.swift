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

/// Starts `sh -c script` with the test PATH and returns the process.
func shell(_ script: String, environment: [String: String] = testEnvironment, input: ProcessSpec.Input = .null) throws -> any RunningProcess {
    try PosixProcessLauncher().launch(ProcessSpec(argv: ["sh", "-c", script], environment: environment, input: input))
}

/// Reads all of a process's stdout.
func readAll(_ process: any RunningProcess) throws -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
        if n == 0 { return result }
        result.append(contentsOf: buffer[..<n])
    }
}

@Suite("POSIX process launcher", .ownThreads)
struct ProcessLauncherTests {
    /// The child gets exactly the environment it is given, nothing of backupd's.
    @Test func environmentIsExplicit() throws {
        setenv("BACKUPD_TEST_LEAK", "leaked", 1)
        let process = try shell("env", environment: ["PATH": "/usr/bin:/bin", "ONLY": "this"])
        let text = String(decoding: try readAll(process), as: UTF8.self)
        #expect(process.wait() == .exited(0))
        #expect(text.contains("ONLY=this"))
        #expect(!text.contains("BACKUPD_TEST_LEAK"))
    }

    /// Exit statuses, signals and stderr come back; stdout is separate from stderr.
    @Test func exitAndStderr() throws {
        let process = try shell("echo out; echo err >&2; exit 7")
        #expect(String(decoding: try readAll(process), as: UTF8.self) == "out\n")
        #expect(process.wait() == .exited(7))
        #expect(process.stderrTail() == "err\n")
        let killed = try shell("kill -TERM $$")
        _ = try readAll(killed)
        #expect(killed.wait() == .signaled(SIGTERM))
    }

    /// kill() ends the child and what it started (its process group), even if the grandchild holds stdout.
    @Test func killsTheGroup() throws {
        let process = try shell("sleep 30 & sleep 30; echo never")
        let started = Date()
        process.kill()
        #expect(try readAll(process).isEmpty)
        #expect(process.wait() == .signaled(SIGKILL))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// The child runs in its own process group (a Ctrl-C to backupd's group does not reach it directly).
    @Test func ownProcessGroup() throws {
        let process = try shell("cut -d \" \" -f 5 /proc/$$/stat")
        let pgid = Int32(String(decoding: try readAll(process), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(process.wait() == .exited(0))
        #expect(pgid == process.pid)
        #expect(pgid != getpgrp())
    }

    /// A missing program is reported with the PATH searched.
    @Test func missingProgram() throws {
        #expect(throws: ProcessError.notFound(program: "no-such-tool-xyz", path: "/usr/bin:/bin")) {
            _ = try PosixProcessLauncher().launch(ProcessSpec(argv: ["no-such-tool-xyz"], environment: ["PATH": "/usr/bin:/bin"]))
        }
    }

    /// A chatty stderr never blocks the child and only its last 64 KiB are kept.
    @Test func stderrIsBounded() throws {
        let process = try shell("i=0; while [ $i -lt 3000 ]; do echo \"line $i ................................................\" >&2; i=$((i+1)); done; echo done")
        #expect(String(decoding: try readAll(process), as: UTF8.self) == "done\n")
        #expect(process.wait() == .exited(0))
        let tail = process.stderrTail()
        #expect(tail.utf8.count <= StderrTail.capacity)
        #expect(tail.utf8.count > StderrTail.capacity - 200)
        #expect(tail.hasSuffix("line 2999 ................................................\n"))
        #expect(tail.hasPrefix("line "))
    }

    /// Input written through the pipe reaches the child; a child that exits early gives inputClosed, not SIGPIPE.
    @Test func inputPipe() throws {
        let process = try shell("wc -c", input: .pipe)
        let chunk = [UInt8](repeating: 65, count: 300_000)
        try chunk.withUnsafeBytes { try process.writeInput($0) }
        process.closeInput()
        #expect(String(decoding: try readAll(process), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "300000")
        #expect(process.wait() == .exited(0))

        let quitter = try shell("exit 3", input: .pipe)
        #expect(quitter.wait() == .exited(3))
        #expect(throws: ProcessError.inputClosed(program: "sh")) {
            try chunk.withUnsafeBytes { try quitter.writeInput($0) }
        }
    }
}

@Suite("Secrets handling", .ownThreads)
struct SecretHandlingTests {
    /// The fallback directory is 0700, its files 0600 with the exact contents, and remove() deletes all of it.
    @Test func secretDirectory() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try SecretDirectory(parent: tmp.path, inMemory: false)
        let path = try #require(directory.path)
        let file = try directory.write("my.cnf", contents: "[client]\npassword=\"x\"\n")
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o700)
        stat(file, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "[client]\npassword=\"x\"\n")
        directory.remove()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Secrets in memory files: nothing appears under the parent, each is 0600, a child given
    /// `descriptors` reads them at the returned /proc/self/fd paths, and remove() closes them.
    @Test func secretsInMemoryFiles() throws {
        try #require(SecretDirectory.memoryFilesWork, "memfd_create and /proc are needed")
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let secrets = try SecretDirectory(parent: tmp.path)
        let first = try secrets.write("pgpass", contents: "*:*:*:*:one\n")
        let second = try secrets.write("my.cnf", contents: "[client]\npassword=\"two\"\n")
        #expect([first, second] == ["/proc/self/fd/3", "/proc/self/fd/4"])
        #expect(secrets.path == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        let descriptors = secrets.descriptors
        #expect(descriptors.count == 2)
        for fd in descriptors {
            var info = stat()
            #expect(fstat(fd, &info) == 0 && info.st_mode & 0o777 == 0o600 && info.st_mode & S_IFMT == S_IFREG)
        }
        let child = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["sh", "-c", "cat \(first) \(second); ls /proc/self/fd"], environment: testEnvironment, inheritedFiles: descriptors))
        let output = String(decoding: try readAll(child), as: UTF8.self)
        #expect(child.wait() == .exited(0))
        #expect(output.hasPrefix("*:*:*:*:one\n[client]\npassword=\"two\"\n"), "\(output)")
        secrets.remove()
        var info = stat()
        #expect(descriptors.allSatisfy { fstat($0, &info) != 0 })
    }

    /// The start-up sweep removes a stale `backupd-secrets-*` directory (a killed backupd's) and
    /// leaves one a live process holds.
    @Test func staleSecretDirectoriesAreRemoved() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let stale = "\(tmp.path)/backupd-secrets-Ab12Cd"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try "*:*:*:*:leaked\n".write(toFile: "\(stale)/1-pgpass", atomically: false, encoding: .utf8)
        let live = try SecretDirectory(parent: tmp.path, inMemory: false)
        let livePath = try #require(live.path)
        _ = try live.write("pgpass", contents: "*:*:*:*:in-use\n")
        try "not ours".write(toFile: "\(tmp.path)/other-file", atomically: false, encoding: .utf8)

        #expect(SecretDirectory.removeStale(in: [tmp.path]) == [stale])
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: "\(livePath)/1-pgpass"))
        #expect(FileManager.default.fileExists(atPath: "\(tmp.path)/other-file"))
        live.remove()
    }

    /// Every secret, also percent-encoded, is masked; other text is kept.
    @Test func redactor() {
        let redactor = Redactor(secrets: [Secret("p@ss:word"), Secret("s3cr3t")])
        let text = "FATAL: password p@ss:word for uri mongodb://u:p%40ss%3Aword@h and s3cr3ts"
        #expect(redactor.redact(text) == "FATAL: password <redacted> for uri mongodb://u:<redacted>@h and <redacted>s")
    }

    /// The tail keeps the newest bytes and starts at a whole line once it has dropped some.
    @Test func stderrTail() {
        let tail = StderrTail(capacity: 10)
        Array("abc\ndef\n".utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.text == "abc\ndef\n")
        Array("ghi\njk".utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.bytes == Array("def\nghi\njk".utf8))
        #expect(tail.text == "ghi\njk")
        Array(String(repeating: "z", count: 25).utf8).withUnsafeBytes { tail.append($0) }
        #expect(tail.bytes.count == 10)
    }
}
