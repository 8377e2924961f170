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
        let process = try launcher.launch(ProcessSpec(argv: argv, environment: environment, inheritedFiles: secrets.descriptors))
        let read = Mutex<Result<[UInt8], any Error>>(.success([]))
        let done = BlockingBridge.Completion()
        BlockingBridge.shared.detach {
            let result = Result { () throws -> [UInt8] in
                var output: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
                    if n == 0 { return output }
                    if output.count < 1 << 20 { output.append(contentsOf: buffer[..<n]) }
                }
            }
            read.withLock { $0 = result }
            done.finish()
        }
        let timedOut = !done.waitBlocking(timeout: timeout)
        if timedOut {
            // Killing the group ends the read (the pipe closes); the reader is awaited, never left behind.
            process.kill()
            done.waitBlocking()
        }
        let output = try read.withLock { $0 }.get()
        let exit = process.wait()
        if timedOut {
            let tool = argv.first.map { ($0 as NSString).lastPathComponent } ?? "?"
            throw EngineError.checkTimedOut(job: job.name, tool: tool, seconds: Int(timeout.components.seconds))
        }
        return (exit, String(decoding: output, as: UTF8.self), process.stderrTail())
    }
}
