import BackupCore
import ConfigKit
import Dispatch
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
    public func capture(
        _ argv: [String], environment: [String: String], timeout: Duration = EngineContext.checkTimeout
    ) throws -> (exit: ProcessExit, output: String, errors: String) {
        try captureAll([argv], environment: environment, timeout: timeout)[0]
    }

    /// Runs short commands side by side (a tool's version and the server's: each start of a tool
    /// costs tens of milliseconds, which a backup otherwise waits for in turn) and returns each
    /// one's result as `capture` does, in order. When one fails to start or times out, the others
    /// are killed and reaped before the error is thrown.
    public func captureAll(
        _ commands: [[String]], environment: [String: String], timeout: Duration = EngineContext.checkTimeout
    ) throws -> [(exit: ProcessExit, output: String, errors: String)] {
        var running: [(argv: [String], process: any RunningProcess, timedOut: BlockingBridge.AbortFlag, timer: DeadlineTimer)] = []
        var collected = 0
        defer {
            for (index, entry) in running.enumerated() {
                entry.timer.cancel()
                if index >= collected {
                    entry.process.kill()
                    _ = entry.process.wait()
                }
            }
        }
        for argv in commands {
            let process = try launcher.launch(ProcessSpec(argv: argv, environment: environment, inheritedFiles: secrets.descriptors))
            let timedOut = BlockingBridge.AbortFlag()
            let timer = DeadlineTimer(deadline: .now() + timeout.seconds) {
                timedOut.raise()
                process.kill()
            }
            running.append((argv, process, timedOut, timer))
        }
        var results: [(exit: ProcessExit, output: String, errors: String)] = []
        for entry in running {
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try entry.process.readOutput(into: $0) }
                if n == 0 { break }
                if output.count < 1 << 20 { output.append(contentsOf: buffer[..<n]) }
            }
            let exit = entry.process.wait()
            collected += 1
            if entry.timedOut.isRaised {
                let tool = entry.argv.first.map { ($0 as NSString).lastPathComponent } ?? "?"
                throw EngineError.checkTimedOut(job: job.name, tool: tool, seconds: Int(timeout.components.seconds))
            }
            results.append((exit, String(decoding: output, as: UTF8.self), entry.process.stderrTail()))
        }
        return results
    }
}
