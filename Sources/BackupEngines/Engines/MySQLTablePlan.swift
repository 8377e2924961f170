import ConfigKit

/// How a MySQL/MariaDB table selection becomes mysqldump arguments, from the database's table names
/// (information_schema, read just before the dump) and the job's patterns:
/// - `include` names the matched tables after the database (mysqldump dumps only those);
/// - `exclude` becomes one `--ignore-table=db.table` per matched table;
/// - `excludeData` tables are left out of that first dump and dumped by a second, `--no-data`
///   invocation whose output follows the first in the same object, so one `mysql` run restores both.
public struct MySQLTablePlan: Sendable, Hashable {
    /// Tables dumped with their rows, in name order.
    public var dataTables: [String]
    /// Tables dumped without rows (their definitions and triggers), in name order.
    public var schemaOnlyTables: [String]
    /// Tables of the database left out of the first dump.
    public var ignoredTables: [String]
    /// Whether `include` patterns decide the tables (else every table not ignored).
    public var listsTables: Bool

    /// The plan for `selection` over the database's `tables`.
    public init(selection: TableSelection, tables: [String]) {
        let include = selection.include.map(TableGlob.init)
        let exclude = selection.exclude.map(TableGlob.init)
        let excludeData = selection.excludeData.map(TableGlob.init)
        let sorted = Array(Set(tables)).sorted()
        let selected = sorted.filter { name in
            (include.isEmpty || include.contains { $0.matches(name) }) && !exclude.contains { $0.matches(name) }
        }
        let schemaOnly = selected.filter { name in excludeData.contains { $0.matches(name) } }
        let data = selected.filter { !schemaOnly.contains($0) }
        dataTables = data
        schemaOnlyTables = schemaOnly
        ignoredTables = sorted.filter { !data.contains($0) }
        listsTables = !include.isEmpty
    }

    /// Whether anything at all is selected.
    public var isEmpty: Bool { dataTables.isEmpty && schemaOnlyTables.isEmpty }

    /// What follows the common options in the first (data) dump: the database, then either the
    /// included tables or one `--ignore-table` per left-out table. `--` ends the options, so that a
    /// table whose name starts with `-` is not read as one. With nothing to dump with rows,
    /// every table is ignored, so that the database's routines and events still come along.
    public func dataArguments(database: String) -> [String] {
        if listsTables, !dataTables.isEmpty { return ["--", database] + dataTables }
        return ignoredTables.map { "--ignore-table=\(database).\($0)" } + ["--", database]
    }

    /// What follows the common options in the second (schema-only) dump, or nil when no table needs one.
    public func schemaArguments(database: String) -> [String]? {
        schemaOnlyTables.isEmpty ? nil : ["--", database] + schemaOnlyTables
    }
}
