import BackupCore
import ConfigKit

/// Any command whose standard output is the backup; restored by piping into `restoreArgv`.
public struct CommandDriver: EngineDriver {
    /// The commands and their environment.
    public let connection: CommandConnection

    /// Creates the driver for a command job.
    public init(connection: CommandConnection) {
        self.connection = connection
    }

    func environment(_ context: EngineContext) -> [String: String] {
        var environment = context.baseEnvironment
        for (name, secret) in connection.environment { environment[name] = secret.value }
        return environment
    }

    public func preflight(_ context: EngineContext) throws -> String {
        let program = connection.argv[0]
        let path = environment(context)["PATH"] ?? ""
        guard context.launcher.locate(program, path: path) != nil else {
            throw EngineError.toolMissing(job: context.job.name, tool: program, package: "it (the job's argv[0])", path: path)
        }
        return ""
    }

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        [DumpStep(tool: connection.argv[0], argv: connection.argv, environment: environment(context), suffix: connection.fileExtension,
            check: context.job.allowEmpty ? .none : .nonEmpty)]
    }

    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        guard let restoreArgv = connection.restoreArgv else {
            if let path = options.target { return .file(path: path) }
            throw EngineError.restoreUnsupported(
                job: context.job.name,
                hint: "the job has no \"restoreArgv\"; add one to its connection, or give --to PATH to write the backup to a file")
        }
        if let path = options.target { return .file(path: path) }
        return .process(tool: restoreArgv[0], argv: restoreArgv, environment: environment(context))
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? { nil }
}
