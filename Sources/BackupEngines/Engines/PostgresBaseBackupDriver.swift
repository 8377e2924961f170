import BackupCore
import ConfigKit
import Foundation

/// A PITR job's base backups: `pg_basebackup --format=tar --pgdata=- --wal-method=none
/// --checkpoint=fast`, one tar stream of the data directory on standard output (the WAL comes from
/// the archive, through `wal-push`). Checks, versions and the connection are `PostgresDriver`'s.
public struct PostgresBaseBackupDriver: EngineDriver {
    /// The job's connection (its database is only where the checks connect).
    public let connection: SQLConnection
    private var sql: PostgresDriver { PostgresDriver(connection: connection) }

    /// Creates the driver for a connection.
    public init(connection: SQLConnection) {
        self.connection = connection
    }

    /// The tool's arguments: the whole cluster as one tar on stdout, no WAL in it (the archive has it).
    static let baseBackupArguments = ["--format=tar", "--pgdata=-", "--wal-method=none", "--checkpoint=fast"]

    /// The query that counts tablespaces outside the data directory.
    static let tablespaceQuery = "SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')"

    public func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?) {
        let job = context.job.name
        _ = try context.require("pg_basebackup", package: PostgresDriver.package)
        let versions = try sql.preflightVersions(context)
        let environment = try sql.environment(context)
        let query = try context.capture(
            ["psql", "-X", "-A", "-t", "-c", Self.tablespaceQuery] + sql.connectionArguments() + ["--dbname", connection.database],
            environment: environment)
        guard query.exit.succeeded else { throw failure(tool: "psql", exit: query.exit, stderr: query.errors, job: job) }
        if let count = Int(query.output.trimmingCharacters(in: .whitespacesAndNewlines)), count > 0 {
            throw EngineError.restoreUnsupported(job: job, hint: Self.tablespaceHint(count))
        }
        let tool = try context.capture(["pg_basebackup", "--version"], environment: environment)
        return (PostgresDriver.toolVersion(tool.output), versions.server)
    }

    public func preflight(_ context: EngineContext) throws -> String {
        try preflightVersions(context).tool
    }

    static func tablespaceHint(_ count: Int) -> String {
        "the cluster has \(count) tablespace(s) besides pg_default and pg_global; PITR base backups are one tar stream of the data directory and do not support extra tablespaces (move their tables into pg_default, or back this cluster up with a dump job)"
    }

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        let argv = ["pg_basebackup"] + Self.baseBackupArguments + sql.connectionArguments()
        return [DumpStep(tool: "pg_basebackup", argv: argv, environment: try sql.environment(context), suffix: ".base.tar", check: .postgresBaseTar)]
    }

    /// A base backup is extracted into the empty directory `options.target` by GNU tar reading
    /// the stream (no copy of the tar on disk); `backupd restore JOB --to-dir DIR` sets it.
    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        guard let directory = options.target, directory.hasPrefix("/") else {
            throw EngineError.restoreTargetRequired(
                job: context.job.name,
                hint: "a PITR job's base backup is restored into an empty directory: backupd restore \(context.job.name) --latest --to-dir DIR (or --time TIME, --lsn LSN)")
        }
        _ = try context.require("tar", package: "GNU tar (Debian: tar)")
        return .process(tool: "tar", argv: ["tar", "--extract", "--file=-", "--directory=\(directory)"], environment: context.baseEnvironment)
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? {
        if stderr.contains("can only write single tablespace to stdout") {
            return .restoreUnsupported(job: job, hint: Self.tablespaceHint(1))
        }
        return sql.classify(tool: tool, exit: exit, stderr: stderr, job: job)
    }
}
