import BackupCore
import ConfigKit

/// One engine's knowledge: how to check the tool against the server, which commands dump a job,
/// how to restore, and what a tool's failure means.
public protocol EngineDriver: Sendable {
    /// Checks that the tools exist, the server answers with these credentials and is not newer than
    /// the tool; returns the tool's version for the object's metadata. Throws `EngineError`.
    func preflight(_ context: EngineContext) throws -> String

    /// `preflight` that also returns the server's version when the check learns it (for the manifest).
    func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?)

    /// The dumps to take, in order; `compressed` says whether backupd compresses the stream.
    func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep]

    /// Where to send the object at `key` to restore it.
    func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction

    /// A precise error for a tool's failure from its stderr, or nil when nothing is recognised.
    func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError?

    /// The server's own cheap estimate of the data a dump holds, in bytes (nil: the engine has
    /// none), asked within `timeout`; it sizes equal parts when history has no size yet.
    func estimatedSize(_ context: EngineContext, timeout: Duration) throws -> Int64?
}

extension EngineDriver {
    /// Engines without a cheap size query (MongoDB, a command) estimate nothing.
    public func estimatedSize(_ context: EngineContext, timeout: Duration) throws -> Int64? { nil }

    /// Drivers whose check does not learn the server's version report none.
    public func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?) {
        (try preflight(context), nil)
    }

    /// The error for a tool's failure: the precise one `classify` recognises, else the tool's exit
    /// and its stderr's error lines and tail (`StderrSummary`).
    public func failure(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError {
        classify(tool: tool, exit: exit, stderr: stderr, job: job)
            ?? .toolFailed(job: job, tool: tool, exit: exit, detail: StderrSummary.summarize(stderr, job: job))
    }
}

/// The driver for each engine.
public enum EngineDrivers {
    /// The driver that handles `job`.
    public static func driver(for job: JobConfig) -> any EngineDriver {
        switch job.connection {
        case .sql(let connection) where job.pitr != nil:
            return PostgresBaseBackupDriver(connection: connection)
        case .sql(let connection):
            return job.engine == .mysql ? MySQLDriver(connection: connection) as any EngineDriver : PostgresDriver(connection: connection)
        case .mongodb(let connection): return MongoDriver(connection: connection)
        case .redis(let connection): return RedisDriver(connection: connection)
        case .command(let connection): return CommandDriver(connection: connection)
        }
    }

    /// Every secret of `job`'s connection, for redaction.
    public static func secrets(of job: JobConfig) -> [Secret] {
        switch job.connection {
        case .sql(let c): return c.password.map { [$0] } ?? []
        case .mongodb(let c): return c.password.map { [$0] } ?? []
        case .redis(let c): return c.password.map { [$0] } ?? []
        case .command(let c): return Array(c.environment.values)
        }
    }
}
