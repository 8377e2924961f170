import BackupCore
import ConfigKit
import Foundation

/// MySQL and MariaDB: `mariadb-dump` or `mysqldump` (whichever is installed) with
/// `--single-transaction --routines --triggers --events`; the password through a 0600
/// `--defaults-extra-file`, which the tools accept only as their first argument.
public struct MySQLDriver: EngineDriver {
    /// How to reach the server.
    public let connection: SQLConnection

    /// Creates the driver for a connection.
    public init(connection: SQLConnection) {
        self.connection = connection
    }

    static let package = "the MariaDB or MySQL client (Debian: mariadb-client)"
    static let classifier = FailureClassifier(
        refused: ["can't connect", "(111", "error 2002", "error 2003", "error 2005", "unknown mysql server host", "lost connection"],
        authentication: ["access denied for user", "error 1045", "(1045)", "plugin caching_sha2_password could not be loaded"],
        missingDatabase: ["unknown database", "error 1049", "(1049)"])

    var target: String { connection.host.hasPrefix("/") ? "socket \(connection.host)" : "\(connection.host):\(connection.port)" }

    /// The option file (if there is a password) that must come first, then host, port and user.
    package func leadingArguments(_ context: EngineContext) throws -> [String] {
        var arguments: [String] = []
        if let password = connection.password {
            let escaped = password.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            let file = try context.secrets.write("my.cnf", contents: "[client]\npassword=\"\(escaped)\"\n")
            arguments.append("--defaults-extra-file=\(file)")
        }
        if connection.host.hasPrefix("/") {
            arguments += ["--socket=\(connection.host)"]
        } else {
            arguments += ["--host=\(connection.host)", "--port=\(connection.port)", "--protocol=TCP"]
        }
        if let user = connection.username { arguments.append("--user=\(user)") }
        return arguments + ["--default-character-set=utf8mb4"]
    }

    func dumpTool(_ context: EngineContext) throws -> String {
        try context.requireAny(["mariadb-dump", "mysqldump"], package: Self.package)
    }

    package func clientTool(_ context: EngineContext) throws -> String {
        try context.requireAny(["mariadb", "mysql"], package: Self.package)
    }

    public func preflight(_ context: EngineContext) throws -> String {
        try preflightVersions(context).tool
    }

    public func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?) {
        let job = context.job.name
        let dump = try dumpTool(context)
        let client = try clientTool(context)
        let toolRun = try context.capture([dump, "--version"], environment: context.baseEnvironment)
        let toolVersion = Self.toolVersion(toolRun.output)
        let query = try context.capture(
            [client] + leadingArguments(context) + ["--connect-timeout=15", "--batch", "--skip-column-names", "--execute=SELECT VERSION()", connection.database],
            environment: context.baseEnvironment)
        guard query.exit.succeeded else {
            throw failure(tool: client, exit: query.exit, stderr: query.errors, job: job)
        }
        let server = query.output.trimmingCharacters(in: .whitespacesAndNewlines)
        // Versions compare only within one family: MariaDB and MySQL number their releases apart.
        let serverIsMariaDB = server.lowercased().contains("mariadb")
        let toolIsMariaDB = toolRun.output.lowercased().contains("mariadb") || dump == "mariadb-dump"
        if serverIsMariaDB == toolIsMariaDB,
           VersionNumber.older(VersionNumber.parse(Substring(toolVersion)), than: VersionNumber.parse(Substring(server)), depth: 2) {
            throw EngineError.toolTooOld(job: job, tool: dump, toolVersion: toolVersion, serverVersion: server)
        }
        return ("\(dump) \(toolVersion)", server)
    }

    /// "mysqldump  Ver 10.19 Distrib 10.11.6-MariaDB, ..." → "10.11.6-MariaDB"; "mysqldump  Ver 8.0.36 for Linux" → "8.0.36".
    static func toolVersion(_ output: String) -> String {
        for marker in ["Distrib ", "from ", "Ver "] {
            if let range = output.range(of: marker) {
                let rest = output[range.upperBound...]
                let word = rest.prefix { !$0.isWhitespace && $0 != "," }
                if !VersionNumber.parse(word).isEmpty { return String(word) }
            }
        }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The options of every dump; `--single-transaction` gives InnoDB tables one consistent snapshot.
    static let dumpOptions = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob"]
    /// The options of the schema-only dump of `tables.excludeData` tables (their triggers come along).
    static let schemaOnlyOptions = ["--single-transaction", "--no-data", "--triggers", "--skip-routines", "--skip-events"]

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        let tool = try dumpTool(context)
        let leading = try leadingArguments(context)
        guard let selection = context.job.tables else {
            let argv = [tool] + leading + Self.dumpOptions + [connection.database]
            return [DumpStep(tool: tool, argv: argv, environment: context.baseEnvironment, suffix: ".sql",
                check: .trailer(DumpCheck.mysqldumpTrailer))]
        }
        let plan = MySQLTablePlan(selection: selection, tables: try tableNames(context))
        if plan.isEmpty {
            throw EngineError.noTablesSelected(job: context.job.name, database: connection.database, selection: selection.summary)
        }
        return [Self.step(tool: tool, leading: leading, plan: plan, database: connection.database, environment: context.baseEnvironment)]
    }

    /// The dump of a table selection: the data dump, then (for `excludeData`) the schema-only one.
    static func step(tool: String, leading: [String], plan: MySQLTablePlan, database: String, environment: [String: String]) -> DumpStep {
        var step = DumpStep(
            tool: tool, argv: [tool] + leading + dumpOptions + plan.dataArguments(database: database), environment: environment, suffix: ".sql",
            check: .trailer(DumpCheck.mysqldumpTrailer))
        if let schema = plan.schemaArguments(database: database) {
            step.then = [[tool] + leading + schemaOnlyOptions + schema]
        }
        return step
    }

    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        let client = try clientTool(context)
        let database = options.target ?? connection.database
        // The dump has no CREATE DATABASE or USE (one database without --databases), so it
        // restores into whichever database the client connects to.
        let argv = [client] + (try leadingArguments(context)) + [database]
        return .process(tool: client, argv: argv, environment: context.baseEnvironment)
    }

    /// Whether a restore with `options` strips DEFINER clauses (`DefinerFilter`): by default when
    /// restoring into another database than the job's own, unless `keepOwner` says otherwise.
    package func stripsDefiners(_ options: RestoreOptions) -> Bool {
        !(options.tool.keepOwner ?? ((options.target ?? connection.database) == connection.database))
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? {
        Self.classifier.classify(
            job: job, tool: tool, stderr: stderr, target: target, user: connection.username ?? "(default)",
            database: connection.database)
    }
}
