import ConfigKit

/// The tables of a MySQL/MariaDB database, for resolving `tables` patterns (mysqldump takes none).
extension MySQLDriver: TableListing {
    /// Every table and view of the job's database (information_schema, exact names).
    func tableNames(_ context: EngineContext) throws -> [String] {
        let client = try clientTool(context)
        let query = try context.capture(
            [client] + leadingArguments(context) + [
                "--connect-timeout=15", "--batch", "--skip-column-names",
                "--execute=SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
                connection.database,
            ],
            environment: context.baseEnvironment)
        guard query.exit.succeeded else {
            throw failure(tool: client, exit: query.exit, stderr: query.errors, job: context.job.name)
        }
        return query.output.split(separator: "\n", omittingEmptySubsequences: true).map { Self.unescapeBatch(String($0)) }
    }

    /// A `--batch` field as stored: the client escapes `\`, tab, newline and NUL with a backslash.
    static func unescapeBatch(_ field: String) -> String {
        var out = ""
        var escaped = false
        for ch in field {
            if escaped {
                switch ch {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "0": out.append("\0")
                default: out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }

    public func tableMatches(_ context: EngineContext, selection: TableSelection) throws -> TableMatches {
        let names = try tableNames(context)
        let rows = selection.lists.flatMap { list in
            list.patterns.map { pattern in
                let glob = TableGlob(pattern)
                return TableMatches.Row(list: list.key, pattern: pattern, tables: names.filter(glob.matches))
            }
        }
        return TableMatches(job: context.job.name, database: connection.database, rows: rows)
    }
}
