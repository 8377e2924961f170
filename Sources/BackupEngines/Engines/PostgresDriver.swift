import BackupCore
import ConfigKit
import Foundation

/// PostgreSQL: `pg_dump -Fc` (custom format, so `pg_restore` can restore selectively), optionally
/// `pg_dumpall --globals-only` for roles; the password through a 0600 passfile (`PGPASSFILE`).
public struct PostgresDriver: EngineDriver {
    /// How to reach the server.
    public let connection: SQLConnection

    /// Creates the driver for a connection.
    public init(connection: SQLConnection) {
        self.connection = connection
    }

    static let package = "the PostgreSQL client tools (Debian: postgresql-client)"
    static let classifier = FailureClassifier(
        refused: ["connection refused", "could not connect", "no such file or directory", "could not translate host name", "timeout expired"],
        authentication: ["password authentication failed", "no password supplied", "authentication failed", "fe_sendauth"],
        missingDatabase: [],
        versionMismatch: ["server version mismatch"])

    var target: String { connection.host.hasPrefix("/") ? "socket \(connection.host)/.s.PGSQL.\(connection.port)" : "\(connection.host):\(connection.port)" }

    package func connectionArguments() -> [String] {
        var arguments = ["--host", connection.host, "--port", String(connection.port)]
        if let user = connection.username { arguments += ["--username", user] }
        return arguments + ["--no-password"]
    }

    package func environment(_ context: EngineContext) throws -> [String: String] {
        var environment = context.baseEnvironment
        environment["PGCONNECT_TIMEOUT"] = "15"
        environment["PGAPPNAME"] = "backupd"
        if let password = connection.password {
            // passfile fields escape ':' and '\' with a backslash.
            let escaped = password.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
            environment["PGPASSFILE"] = try context.secrets.write("pgpass", contents: "*:*:*:*:\(escaped)\n")
        } else {
            environment["PGPASSFILE"] = "/dev/null"
        }
        return environment
    }

    public func preflight(_ context: EngineContext) throws -> String {
        try preflightVersions(context).tool
    }

    public func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?) {
        let job = context.job.name
        _ = try context.require("pg_dump", package: Self.package)
        if connection.globals { _ = try context.require("pg_dumpall", package: Self.package) }
        _ = try context.require("psql", package: Self.package)
        let environment = try environment(context)
        // Both at once: the tool's version and the server's (each start of Debian's pg_wrapper costs tens of ms).
        let runs = try context.captureAll(
            [["pg_dump", "--version"], ["psql", "-X", "-A", "-t", "-c", "SHOW server_version_num"] + connectionArguments() + ["--dbname", connection.database]],
            environment: environment)
        let (toolRun, query) = (runs[0], runs[1])
        let toolVersion = Self.toolVersion(toolRun.output)
        guard query.exit.succeeded else {
            throw failure(tool: "psql", exit: query.exit, stderr: query.errors, job: job)
        }
        var server: String?
        if let number = Int(query.output.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let (serverText, tooOld) = Self.compare(toolVersion: toolVersion, serverNumber: number)
            if tooOld {
                throw EngineError.toolTooOld(job: job, tool: "pg_dump", toolVersion: toolVersion, serverVersion: serverText)
            }
            server = serverText
        }
        return (toolVersion, server)
    }

    /// The server's version as text (from `server_version_num`) and whether pg_dump `toolVersion`
    /// is older than the server's major version, which it cannot dump.
    static func compare(toolVersion: String, serverNumber number: Int) -> (server: String, tooOld: Bool) {
        let serverMajor = number >= 100_000 ? number / 10_000 : number / 100
        let toolMajor = VersionNumber.parse(Substring(toolVersion)).first ?? 0
        let serverText = number >= 100_000 ? "\(number / 10_000).\(number % 10_000)" : "\(number / 10_000).\(number / 100 % 100).\(number % 100)"
        let toolComparable = number >= 100_000 ? toolMajor : (VersionNumber.parse(Substring(toolVersion)).prefix(2).reduce(0) { $0 * 100 + $1 })
        return (serverText, toolComparable < serverMajor)
    }

    /// "pg_dump (PostgreSQL) 15.18 (Debian ...)" → "15.18".
    static func toolVersion(_ output: String) -> String {
        let afterName = output.range(of: ") ").map { output[$0.upperBound...] } ?? Substring(output)
        let version = VersionNumber.parse(afterName)
        return version.isEmpty ? output.trimmingCharacters(in: .whitespacesAndNewlines) : version.map(String.init).joined(separator: ".")
    }

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        let environment = try environment(context)
        // pg_dump's own compression would make zstd's work useless: turn it off when backupd compresses.
        var argv = ["pg_dump", "--format=custom"] + (compressed ? ["--compress=0"] : []) + connectionArguments()
        argv += Self.tableArguments(context.job.tables) + ["--dbname", connection.database]
        var steps = [DumpStep(tool: "pg_dump", argv: argv, environment: environment, suffix: ".dump", check: .postgresCustom)]
        if connection.globals {
            steps.append(DumpStep(
                tool: "pg_dumpall", argv: ["pg_dumpall", "--globals-only"] + connectionArguments() + ["--database", connection.database],
                environment: environment, suffix: ".globals.sql", primary: false,
                check: .trailer(DumpCheck.pgDumpallTrailer)))
        }
        return steps
    }

    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        let environment = try environment(context)
        let database = options.target ?? connection.database
        if key.contains(".globals.sql") {
            _ = try context.require("psql", package: Self.package)
            // Roles that already exist give errors that must not stop the others.
            return .process(tool: "psql", argv: ["psql", "-X", "-q"] + connectionArguments() + ["--dbname", database], environment: environment)
        }
        _ = try context.require("pg_restore", package: Self.package)
        return .process(tool: "pg_restore", argv: ["pg_restore"] + connectionArguments() + (try restoreArguments(options, database: database, job: context.job.name)), environment: environment)
    }

    /// pg_restore's options after the connection's: into `database`, stopping at the first error,
    /// in one transaction unless turned off; owners and grants are dropped (`--no-owner
    /// --no-privileges`) when the target is not the job's own database, so the role that owns the
    /// target can restore without being a member of the original owners.
    func restoreArguments(_ options: RestoreOptions, database: String, job: String) throws -> [String] {
        if let jobs = options.tool.jobs, jobs > 1 {
            throw EngineError.restoreUnsupported(
                job: job,
                hint: "pg_restore restores in parallel (--jobs) only from a file, and backupd streams the backup into its standard input; leave out --jobs")
        }
        var argv = ["--dbname", database, "--exit-on-error"]
        if options.tool.singleTransaction ?? true { argv.append("--single-transaction") }
        if !(options.tool.keepOwner ?? (database == connection.database)) { argv += ["--no-owner", "--no-privileges"] }
        if let role = options.tool.role { argv.append("--role=\(role)") }
        if options.clean { argv += ["--clean", "--if-exists"] }
        return argv
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? {
        let database = stderr.range(of: "database \"").flatMap { start -> String? in
            let rest = stderr[start.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        } ?? connection.database
        let lower = stderr.lowercased()
        if lower.contains("database \""), lower.contains("does not exist") {
            return .databaseMissing(job: job, database: database, detail: StderrSummary.summarize(stderr, job: job))
        }
        return Self.classifier.classify(
            job: job, tool: tool, stderr: stderr, target: target, user: connection.username ?? "(default)", database: database)
    }
}
