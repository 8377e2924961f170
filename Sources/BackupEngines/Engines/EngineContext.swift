import BackupCore
import ConfigKit
import Foundation
import Synchronization

/// What a driver needs to prepare its commands: where to put credential files, how to find and
/// run tools, and the environment children start from.
public struct EngineContext: Sendable {
    /// The job being dumped or restored.
    public var job: JobConfig
    /// The private directory for credential files.
    public var secrets: SecretDirectory
    /// Starts the tools.
    public var launcher: any ProcessLauncher
    /// What every child starts with (`PATH`, `HOME`, `LC_ALL=C` so messages can be classified).
    public var baseEnvironment: [String: String]

    /// Builds a context.
    public init(job: JobConfig, secrets: SecretDirectory, launcher: any ProcessLauncher, baseEnvironment: [String: String]) {
        self.job = job
        self.secrets = secrets
        self.launcher = launcher
        self.baseEnvironment = baseEnvironment
    }

    /// The minimal environment for tools, taken from backupd's own: PATH, HOME, TMPDIR and the C locale.
    public static func baseEnvironment(from environment: [String: String]) -> [String: String] {
        var result: [String: String] = ["LC_ALL": "C", "LANG": "C"]
        result["PATH"] = environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for key in ["HOME", "TMPDIR", "TZ"] { if let value = environment[key] { result[key] = value } }
        return result
    }

    /// The path of `tool`, or `EngineError.toolMissing`.
    public func require(_ tool: String, package: String) throws -> String {
        let path = baseEnvironment["PATH"] ?? ""
        guard let found = launcher.locate(tool, path: path) else {
            throw EngineError.toolMissing(job: job.name, tool: tool, package: package, path: path)
        }
        return found
    }

    /// The first of `tools` that is installed, or `EngineError.toolMissing` naming them all.
    public func requireAny(_ tools: [String], package: String) throws -> String {
        let path = baseEnvironment["PATH"] ?? ""
        for tool in tools where launcher.locate(tool, path: path) != nil { return tool }
        throw EngineError.toolMissing(job: job.name, tool: tools.joined(separator: " or "), package: package, path: path)
    }

    /// How long a check before the dump (a version query) may take before it is killed.
    public static let checkTimeout: Duration = .seconds(60)

    /// Runs a short command (a version query) to the end and returns its exit, stdout and stderr
    /// tail. A command still running after `timeout` (a server that accepts the connection and
    /// never answers) has its process group killed and fails with `EngineError.checkTimedOut`.
    /// The output is read on the `BlockingBridge`, whose completion this caller awaits for at most `timeout`.
    public func capture(
        _ argv: [String], environment: [String: String], timeout: Duration = EngineContext.checkTimeout
    ) throws -> (exit: ProcessExit, output: String, errors: String) {
        try captureAll([argv], environment: environment, timeout: timeout)[0]
    }

    /// Runs short commands side by side (a tool's version and the server's: each start of a tool
    /// costs tens of milliseconds, which a backup otherwise waits for in turn) and returns each
    /// one's result as `capture` does, in order, all within one `timeout`. Their output is read on
    /// the bridge; a command still running at the deadline is killed (its group) and its reader
    /// awaited, never left behind. When one fails to start, those started are killed and reaped.
    public func captureAll(
        _ commands: [[String]], environment: [String: String], timeout: Duration = EngineContext.checkTimeout
    ) throws -> [(exit: ProcessExit, output: String, errors: String)] {
        var processes: [any RunningProcess] = []
        do {
            for argv in commands {
                processes.append(try launcher.launch(ProcessSpec(argv: argv, environment: environment, inheritedFiles: secrets.descriptors)))
            }
        } catch {
            for process in processes {
                process.kill()
                _ = process.wait()
            }
            throw error
        }
        let readers = processes.map { CapturedOutput(reading: $0) }
        let deadline = ContinuousClock.now + timeout
        var timedOut: [Bool] = []
        for (process, reader) in zip(processes, readers) {
            let late = !reader.done.waitBlocking(timeout: max(.zero, deadline - ContinuousClock.now))
            if late {
                // Killing the group ends the read (the pipe closes); the reader is awaited.
                process.kill()
                reader.done.waitBlocking()
            }
            timedOut.append(late)
        }
        var results: [(exit: ProcessExit, output: String, errors: String)] = []
        var failure: (any Error)?
        for (index, (process, reader)) in zip(processes, readers).enumerated() {
            let exit = process.wait()
            if failure != nil { continue }
            if timedOut[index] {
                let tool = commands[index].first.map { ($0 as NSString).lastPathComponent } ?? "?"
                failure = EngineError.checkTimedOut(job: job.name, tool: tool, seconds: Int(timeout.components.seconds))
                continue
            }
            do {
                results.append((exit, String(decoding: try reader.bytes(), as: UTF8.self), process.stderrTail()))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return results
    }
}

/// One command's standard output, read on the bridge until the pipe closes (the first MiB kept).
private final class CapturedOutput: Sendable {
    let done = BlockingBridge.Completion()
    private let read = Mutex<Result<[UInt8], any Error>>(.success([]))

    init(reading process: any RunningProcess) {
        BlockingBridge.shared.detach { [self] in
            let result = Result { try process.readAllOutput() }
            self.read.withLock { $0 = result }
            self.done.finish()
        }
    }

    /// What was read, or why reading failed; call once `done` has finished.
    func bytes() throws -> [UInt8] { try read.withLock { $0 }.get() }
}
