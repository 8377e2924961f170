/// Which tables a PostgreSQL or MySQL/MariaDB job dumps: `"tables": {"include": [...],
/// "exclude": [...], "excludeData": [...]}`, in the dump tools' own pattern syntax (`*` and `?`
/// wildcards; PostgreSQL also `schema.table` and double quotes). A job with a selection takes a
/// partial backup, which its manifest records so that `list`, `restore` and `verify` say so.
public struct TableSelection: Sendable, Hashable, Codable {
    /// Dump only the tables these patterns match (empty: every table).
    public var include: [String]
    /// Leave out the tables these patterns match, even when an include matches them.
    public var exclude: [String]
    /// Dump these tables' definitions but not their rows.
    public var excludeData: [String]

    /// Describes a selection; at least one list should be non-empty.
    public init(include: [String] = [], exclude: [String] = [], excludeData: [String] = []) {
        self.include = include
        self.exclude = exclude
        self.excludeData = excludeData
    }

    /// The lists by their config key, in config order, leaving out empty ones.
    public var lists: [(key: String, patterns: [String])] {
        [("include", include), ("exclude", exclude), ("excludeData", excludeData)].filter { !$0.1.isEmpty }
    }

    /// One line for `list`, `restore` and `verify`: `include a, b; excludeData logs`.
    public var summary: String {
        lists.map { "\($0.key) \($0.patterns.joined(separator: ", "))" }.joined(separator: "; ")
    }
}
