import Foundation

/// The PostgreSQL steps: pg_dump (and pg_dumpall for globals), the login, the version, SELECT on
/// every table and sequence pg_dump would read, and pg_restore.
extension DatabaseChecker {
    /// Tables, views' base relations and sequences that pg_dump locks and reads, and whether the
    /// role may (USAGE on the schema and SELECT on the relation); one `name|readable` row each.
    static let postgresRelationsQuery = """
        SELECT format('%I.%I', n.nspname, c.relname) || '|' || (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1
        """

    func checkPostgres(_ driver: PostgresDriver, context: EngineContext, steps: inout CheckSteps) {
        let package = PostgresDriver.package
        var toolVersion = ""
        let tool = steps.run("dump tool") {
            let path = try context.require("pg_dump", package: package)
            if driver.connection.globals { _ = try context.require("pg_dumpall", package: package) }
            let run = try context.capture(["pg_dump", "--version"], environment: context.baseEnvironment, timeout: Self.queryTimeout)
            guard run.exit.succeeded else { throw driver.failure(tool: "pg_dump", exit: run.exit, stderr: run.errors, job: job.name) }
            toolVersion = PostgresDriver.toolVersion(run.output)
            return "pg_dump \(toolVersion) (\(path))"
        }
        var environment: [String: String] = [:]
        func psql(_ sql: String) throws -> String {
            _ = try context.require("psql", package: package)
            let run = try context.capture(
                ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql] + driver.connectionArguments() + ["--dbname", driver.connection.database],
                environment: environment, timeout: Self.queryTimeout)
            guard run.exit.succeeded else { throw driver.failure(tool: "psql", exit: run.exit, stderr: run.errors, job: job.name) }
            return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var serverNumber = 0
        let login = steps.run("login") {
            environment = try driver.environment(context)
            environment["PGCONNECT_TIMEOUT"] = String(Self.connectTimeout)
            let fields = try psql("SELECT current_user || '|' || current_setting('server_version_num')").split(separator: "|")
            serverNumber = Int(fields.last ?? "") ?? 0
            return "as \(fields.first ?? "?") to \(driver.target), database \(driver.connection.database)"
        }
        if let pitr = job.pitr { checkPITR(pitr, login: login, psql: psql, steps: &steps) }
        steps.run("server version", needs: tool && login) {
            let (server, tooOld) = PostgresDriver.compare(toolVersion: toolVersion, serverNumber: serverNumber)
            if tooOld { throw EngineError.toolTooOld(job: job.name, tool: "pg_dump", toolVersion: toolVersion, serverVersion: server) }
            return "pg_dump \(toolVersion) can dump server \(server)"
        }
        steps.run("table privileges", needs: login) {
            let rows = try psql(Self.postgresRelationsQuery).split(separator: "\n").map { $0.split(separator: "|") }
            let denied = rows.filter { $0.last == "false" }.map { String($0.first ?? "") }
            guard denied.isEmpty else {
                let user = driver.connection.username ?? "the job's role"
                let shown = denied.prefix(10).joined(separator: ", ") + (denied.count > 10 ? " and \(denied.count - 10) more" : "")
                throw CheckProblem(description: """
                    job \(job.name): \(user) cannot read \(denied.count) of the \(rows.count) tables and sequences pg_dump would dump: \(shown); \
                    grant it SELECT (and USAGE on their schemas), e.g. GRANT pg_read_all_data TO \(user) (PostgreSQL 14+) \
                    or GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(user)
                    """)
            }
            return "\(rows.count) tables and sequences, all readable"
        }
        steps.warn("restore tool", ok: "pg_restore installed") {
            context.launcher.locate("pg_restore", path: context.baseEnvironment["PATH"] ?? "") == nil
                ? "pg_restore is not installed or not on PATH: backups work, but restores and verification need \(package)" : nil
        }
    }
}
