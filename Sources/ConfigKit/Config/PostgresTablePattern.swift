/// A pg_dump `--table` pattern read the way pg_dump reads it (psql's `patternToSQLRegex`): `.`
/// outside double quotes separates schema from table, unquoted letters fold to lower case, `*` and
/// `?` are wildcards, other regular-expression characters pass through outside quotes, `$` is
/// literal. `backupd check` runs the resulting regular expressions in the server, so it lists
/// what pg_dump will dump.
public struct PostgresTablePattern: Sendable, Hashable {
    /// One dotted name of a pattern.
    public struct Part: Sendable, Hashable {
        /// The anchored regular expression, `^(...)$`.
        public var regex: String
        /// Whether the source text of this part was empty.
        public var isEmpty: Bool
        /// Whether upper-case letters outside quotes were folded to lower case.
        public var foldsCase: Bool
        /// Whether the part matches every name (`*`), which pg_dump leaves unconstrained.
        public var matchesAll: Bool { regex == "^(.*)$" }
    }

    /// The schema part, when the pattern is qualified.
    public var schema: Part?
    /// The table part.
    public var table: Part

    /// Reads `pattern`; nil when it has an unmatched quote or more than two dotted names.
    public init?(_ pattern: String) {
        guard let parts = Self.split(pattern), (1...2).contains(parts.count) else { return nil }
        schema = parts.count == 2 ? parts[0] : nil
        table = parts[parts.count - 1]
    }

    /// The dotted parts of `pattern` as regular expressions, or nil for an unmatched double quote.
    static func split(_ pattern: String) -> [Part]? {
        var parts: [Part] = []
        var current = ""
        var sawText = false
        var folds = false
        var inQuotes = false
        let scalars = Array(pattern.unicodeScalars)
        var index = 0
        func close() {
            parts.append(Part(regex: "^(" + current + ")$", isEmpty: !sawText, foldsCase: folds))
            current = ""
            sawText = false
            folds = false
        }
        while index < scalars.count {
            let ch = scalars[index]
            index += 1
            if ch == "\"" {
                sawText = true
                if inQuotes, index < scalars.count, scalars[index] == "\"" {
                    current += "\""
                    index += 1
                } else {
                    inQuotes.toggle()
                }
                continue
            }
            sawText = true
            if !inQuotes, ("A"..."Z").contains(ch) {
                current += String(ch).lowercased()
                folds = true
            } else if !inQuotes, ch == "*" {
                current += ".*"
            } else if !inQuotes, ch == "?" {
                current += "."
            } else if !inQuotes, ch == "." {
                close()
            } else if ch == "$" {
                current += "\\$"
            } else {
                if inQuotes, "|*+?()[]{}.^\\".unicodeScalars.contains(ch) {
                    current += "\\"
                } else if ch == "[", index < scalars.count, scalars[index] == "]" {
                    current += "\\"
                }
                current.unicodeScalars.append(ch)
            }
        }
        guard !inQuotes else { return nil }
        close()
        return parts
    }

    /// The SQL condition pg_dump applies for this pattern to `pg_class c` joined with `pg_namespace n`.
    public var condition: String {
        var terms: [String] = []
        if !table.matchesAll { terms.append("c.relname OPERATOR(pg_catalog.~) \(Self.literal(table.regex)) COLLATE pg_catalog.default") }
        if let schema {
            if !schema.matchesAll { terms.append("n.nspname OPERATOR(pg_catalog.~) \(Self.literal(schema.regex)) COLLATE pg_catalog.default") }
        } else {
            terms.append("pg_catalog.pg_table_is_visible(c.oid)")
        }
        return terms.isEmpty ? "true" : terms.joined(separator: " AND ")
    }

    /// `text` as an escaped SQL string literal (`E'...'`), whatever `standard_conforming_strings` is.
    static func literal(_ text: String) -> String {
        "E'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
