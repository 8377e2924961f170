import ConfigKit
import Foundation

/// Table selection for PostgreSQL: pg_dump matches the patterns itself; `check` asks the server.
extension PostgresDriver: TableListing {
    /// pg_dump's own options for `selection`, one argument each (`--table=PATTERN`), so that a
    /// pattern is never read as another option and never passes through a shell.
    static func tableArguments(_ selection: TableSelection?) -> [String] {
        guard let selection else { return [] }
        return selection.include.map { "--table=\($0)" } + selection.exclude.map { "--exclude-table=\($0)" }
            + selection.excludeData.map { "--exclude-table-data=\($0)" }
    }

    /// The relations pg_dump's `--table` considers: tables, partitioned tables, views,
    /// materialized views, sequences and foreign tables.
    static let relationKinds = "ARRAY['r', 'p', 'v', 'm', 'S', 'f']::\"char\"[]"

    /// One query listing, for every pattern, the `schema.table` names it matches, the way pg_dump
    /// expands them (its regular expressions, run by the server, with the user's search_path for
    /// unqualified patterns); system schemas are left out.
    static func matchQuery(_ patterns: [String]) -> String {
        let selects = patterns.enumerated().map { index, text -> String in
            let condition = PostgresTablePattern(text)?.condition ?? "false"
            return """
                SELECT \(index) AS p, n.nspname AS s, c.relname AS r FROM pg_catalog.pg_class c \
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                WHERE c.relkind = ANY (\(relationKinds)) AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND \(condition)
                """
        }
        return selects.joined(separator: " UNION ALL ") + " ORDER BY 1, 2, 3"
    }

    public func tableMatches(_ context: EngineContext, selection: TableSelection) throws -> TableMatches {
        let lists = selection.lists.flatMap { list in list.patterns.map { (list.key, $0) } }
        guard !lists.isEmpty else { return TableMatches(job: context.job.name, database: connection.database, rows: []) }
        let fieldSeparator = "\u{1F}", recordSeparator = "\u{1E}"
        let run = try context.capture(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", fieldSeparator, "-R", recordSeparator,
             "-c", Self.matchQuery(lists.map(\.1))] + connectionArguments() + ["--dbname", connection.database],
            environment: try environment(context))
        guard run.exit.succeeded else {
            throw failure(tool: "psql", exit: run.exit, stderr: run.errors, job: context.job.name)
        }
        var found = [[String]](repeating: [], count: lists.count)
        for record in run.output.split(separator: Character(recordSeparator)) {
            let fields = record.split(separator: Character(fieldSeparator), omittingEmptySubsequences: false)
            guard fields.count == 3, let index = Int(fields[0].trimmingCharacters(in: .whitespacesAndNewlines)), found.indices.contains(index) else { continue }
            found[index].append("\(fields[1]).\(fields[2].trimmingCharacters(in: .newlines))")
        }
        let rows = lists.enumerated().map { TableMatches.Row(list: $1.0, pattern: $1.1, tables: found[$0]) }
        return TableMatches(job: context.job.name, database: connection.database, rows: rows)
    }
}
