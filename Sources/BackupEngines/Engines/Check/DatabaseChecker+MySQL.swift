import Foundation

/// The MySQL/MariaDB steps: the dump tool, the login, the version, a dry `--no-data` dump with the
/// backup's own options (which fails on a missing SHOW VIEW, TRIGGER or EVENT grant), and the
/// grants: a table the user has no grant on is invisible to it, so only a database-wide SELECT
/// proves that the dump leaves nothing out.
extension DatabaseChecker {
    func checkMySQL(_ driver: MySQLDriver, context: EngineContext, steps: inout CheckSteps) {
        var dump = ""
        var toolOutput = ""
        let tool = steps.run("dump tool") {
            dump = try driver.dumpTool(context)
            let run = try context.capture([dump, "--version"], environment: context.baseEnvironment, timeout: Self.queryTimeout)
            toolOutput = run.output
            return "\(dump) \(MySQLDriver.toolVersion(run.output))"
        }
        func sql(_ statement: String) throws -> String {
            let client = try driver.clientTool(context)
            let run = try context.capture(
                [client] + (try driver.leadingArguments(context))
                    + ["--connect-timeout=\(Self.connectTimeout)", "--batch", "--skip-column-names", "--execute=\(statement)", driver.connection.database],
                environment: context.baseEnvironment, timeout: Self.queryTimeout)
            guard run.exit.succeeded else { throw driver.failure(tool: client, exit: run.exit, stderr: run.errors, job: job.name) }
            return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var server = ""
        let login = steps.run("login") {
            let fields = try sql("SELECT CURRENT_USER(), VERSION()").split(separator: "\t")
            server = String(fields.last ?? "")
            return "as \(fields.first ?? "?") to \(driver.target), database \(driver.connection.database)"
        }
        steps.run("server version", needs: tool && login) {
            let toolVersion = MySQLDriver.toolVersion(toolOutput)
            let sameFamily = server.lowercased().contains("mariadb") == (toolOutput.lowercased().contains("mariadb") || dump == "mariadb-dump")
            if sameFamily, VersionNumber.older(VersionNumber.parse(Substring(toolVersion)), than: VersionNumber.parse(Substring(server)), depth: 2) {
                throw EngineError.toolTooOld(job: job.name, tool: dump, toolVersion: toolVersion, serverVersion: server)
            }
            return "\(dump) \(toolVersion) can dump server \(server)"
        }
        let dry = steps.run("dry dump", needs: tool && login) {
            let argv = [dump] + (try driver.leadingArguments(context))
                + ["--no-data", "--single-transaction", "--routines", "--triggers", "--events", driver.connection.database]
            let run = try context.capture(argv, environment: context.baseEnvironment, timeout: Self.queryTimeout)
            guard run.exit.succeeded else { throw driver.failure(tool: dump, exit: run.exit, stderr: run.errors, job: job.name) }
            let tables = run.output.components(separatedBy: "\nCREATE TABLE ").count - 1
            return "\(dump) --no-data read \(tables) table definitions, routines, triggers and events"
        }
        var grants: [String] = []
        let read = steps.run("table privileges", needs: dry) {
            grants = try sql("SHOW GRANTS").split(separator: "\n").map(String.init)
            if Self.grantsSelect(grants, database: driver.connection.database) { return "SELECT on every table of \(driver.connection.database)" }
            let user = driver.connection.username ?? "the job's user"
            throw CheckProblem(description: """
                job \(job.name): \(user) has no SELECT on \(driver.connection.database).* (only on single tables, if any): a table it has no grant on is invisible to it \
                and would be left out of the dump without an error; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `\(driver.connection.database)`.* TO '\(user)'@'%'
                """)
        }
        if read {
            steps.warn("routines", ok: "may read every routine's definition") {
                Self.readsRoutines(grants) ? nil
                    : "routines (procedures, functions) defined by other users are invisible to \(driver.connection.username ?? "the job's user") and left out of the dump; MariaDB: GRANT SELECT ON mysql.proc (before 11.3) or GRANT SHOW CREATE ROUTINE ON *.* (11.3+); MySQL 8: GRANT SHOW_ROUTINE ON *.*"
            }
        }
        steps.warn("restore tool", ok: "\((try? driver.clientTool(context)) ?? "mariadb") installed") {
            (try? driver.clientTool(context)) == nil ? "neither mariadb nor mysql is installed: restores need \(MySQLDriver.package)" : nil
        }
    }

    /// Whether `grants` let the user read routines other users defined (global SELECT, SELECT on
    /// `mysql`.`proc`, SHOW CREATE ROUTINE or SHOW_ROUTINE).
    static func readsRoutines(_ grants: [String]) -> Bool {
        grants.contains { line in
            let upper = line.uppercased()
            return upper.contains("SHOW CREATE ROUTINE") || upper.contains("SHOW_ROUTINE") || upper.contains("ON `MYSQL`.`PROC`")
                || upper.contains("ON `MYSQL`.*") || grantsSelect([line], database: "*")
        }
    }

    /// Whether `grants` (SHOW GRANTS lines) give SELECT on every table of `database`: on `*.*` or on
    /// the database (its name may be quoted with backquotes and escape `_` and `%`).
    static func grantsSelect(_ grants: [String], database: String) -> Bool {
        let escaped = database.replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "%", with: "\\%")
        let scopes = ["*.*", "`\(database)`.*", "`\(escaped)`.*"]
        return grants.contains { line in
            guard line.uppercased().hasPrefix("GRANT "), let on = line.range(of: " ON ", options: .caseInsensitive) else { return false }
            let privileges = line[line.index(line.startIndex, offsetBy: 6)..<on.lowerBound].uppercased()
            let rest = line[on.upperBound...]
            let scope = rest.prefix { !$0.isWhitespace }
            let selects = privileges.contains("ALL PRIVILEGES") || privileges.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "SELECT" }
            return selects && scopes.contains(String(scope))
        }
    }
}
