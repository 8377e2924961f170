import BackupCore
import BackupEngines

/// A PostgreSQL scratch database, administered with psql over the job's connection.
struct PostgresScratch: ScratchDatabase {
    let driver: PostgresDriver
    let context: EngineContext
    let name: String

    private func psql(_ sql: String, database: String) throws -> String {
        let run = try context.capture(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql] + driver.connectionArguments() + ["--dbname", database],
            environment: try driver.environment(context))
        guard run.exit.succeeded else {
            throw DrillError.statement(database: name, tool: "psql", detail: StderrSummary.summarize(run.errors, job: context.job.name))
        }
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var createHint: String {
        let user = driver.connection.username ?? "the job's role"
        return "the drill needs a role that may create databases: `ALTER ROLE \(user) CREATEDB` (as a superuser), or drill with another job whose role may"
    }

    func exists() throws -> Bool {
        try psql("SELECT count(*) FROM pg_database WHERE datname = '\(name)'", database: driver.connection.database) != "0"
    }

    func create() throws {
        _ = try psql("CREATE DATABASE \"\(name)\"", database: driver.connection.database)
    }

    func counts() throws -> (tables: Int, rows: Int64) {
        // Exact row counts in one statement: each table's count(*) through query_to_xml.
        let output = try psql("""
            SELECT count(*), coalesce(sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, tablename), false, true, '')))[1]::text::bigint), 0)
            FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
            """, database: name)
        let fields = output.split(separator: "|")
        return (Int(fields.first ?? "") ?? 0, Int64(fields.last ?? "") ?? 0)
    }

    func drop() throws {
        _ = try psql("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", database: driver.connection.database)
    }
}
