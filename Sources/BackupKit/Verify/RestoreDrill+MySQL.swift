import BackupCore
import BackupEngines

/// A MySQL/MariaDB scratch database, administered with the mariadb/mysql client.
struct MySQLScratch: ScratchDatabase {
    let driver: MySQLDriver
    let context: EngineContext
    let name: String

    private func sql(_ statement: String) throws -> String {
        let client = try driver.clientTool(context)
        let run = try context.capture(
            [client] + (try driver.leadingArguments(context)) + ["--connect-timeout=15", "--batch", "--skip-column-names", "--execute=\(statement)"],
            environment: context.baseEnvironment)
        guard run.exit.succeeded else {
            throw DrillError.statement(database: name, tool: client, detail: StderrSummary.summarize(run.errors, job: context.job.name))
        }
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var createHint: String {
        let user = driver.connection.username ?? "the job's user"
        return "the drill needs CREATE and DROP on the scratch database: GRANT ALL ON `\(name)`.* TO '\(user)'@'%' (as an administrator)"
    }

    func exists() throws -> Bool {
        try sql("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(name)'") != "0"
    }

    func create() throws {
        _ = try sql("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4")
    }

    func counts() throws -> (tables: Int, rows: Int64) {
        let tables = try sql("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '\(name)' AND TABLE_TYPE = 'BASE TABLE'")
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !tables.isEmpty else { return (0, 0) }
        // information_schema's TABLE_ROWS is an estimate for InnoDB: count exactly.
        let sum = tables.map { "(SELECT count(*) FROM `\(name)`.`\($0.replacingOccurrences(of: "`", with: "``"))`)" }.joined(separator: " + ")
        return (tables.count, Int64(try sql("SELECT \(sum)")) ?? 0)
    }

    func drop() throws {
        _ = try sql("DROP DATABASE IF EXISTS `\(name)`")
    }
}
