import ConfigKit

/// What each pattern of a job's `tables` matches in its database, for `backupd check JOB`.
public struct TableMatches: Sendable, Hashable {
    /// One pattern and the tables it matches.
    public struct Row: Sendable, Hashable {
        /// `include`, `exclude` or `excludeData`.
        public var list: String
        /// The pattern as configured.
        public var pattern: String
        /// The matching tables (`schema.table` for PostgreSQL), in name order.
        public var tables: [String]

        /// Describes one pattern's matches.
        public init(list: String, pattern: String, tables: [String]) {
            self.list = list
            self.pattern = pattern
            self.tables = tables
        }
    }

    /// The job's name.
    public var job: String
    /// The database the patterns were matched in.
    public var database: String
    /// One row per pattern, in config order.
    public var rows: [Row]

    /// Describes a job's matches.
    public init(job: String, database: String, rows: [Row]) {
        self.job = job
        self.database = database
        self.rows = rows
    }

    /// A warning for every include pattern that matches nothing (the backup would not hold what it names).
    public var warnings: [String] {
        rows.filter { $0.list == "include" && $0.tables.isEmpty }.map {
            "job \(job): tables.include pattern \"\($0.pattern)\" matches no table in database \(database); check its spelling (and, for PostgreSQL, its schema and case)"
        }
    }

    /// The report as the terminal shows it: a heading, then one line per pattern.
    public func render() -> String {
        var lines = ["Tables of job \(job) (database \(database))"]
        let width = rows.map { $0.list.count + $0.pattern.count + 3 }.max() ?? 0
        for row in rows {
            let label = "\(row.list) \"\(row.pattern)\""
            let padded = label.padding(toLength: max(width, label.count), withPad: " ", startingAt: 0)
            let matched = row.tables.isEmpty ? "matches nothing" + (row.list == "include" ? " (warning)" : "") : row.tables.joined(separator: ", ")
            lines.append("  \(padded)  \(matched)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A driver whose engine can list what a job's table patterns match (PostgreSQL, MySQL/MariaDB).
public protocol TableListing: EngineDriver {
    /// Connects with the job's credentials and matches each pattern of `selection` with a catalog
    /// query, the way the dump will. Throws `EngineError`.
    func tableMatches(_ context: EngineContext, selection: TableSelection) throws -> TableMatches
}
