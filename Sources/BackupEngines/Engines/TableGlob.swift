/// A MySQL/MariaDB table pattern: a table name in which `*` matches any run of characters and `?`
/// any one character; everything else is literal and case-sensitive, as table names are on Linux.
/// mysqldump takes no patterns, so backupd matches them against the names information_schema lists.
public struct TableGlob: Sendable, Hashable {
    /// The pattern as configured.
    public let pattern: String
    private let scalars: [Unicode.Scalar]

    /// A glob for `pattern`.
    public init(_ pattern: String) {
        self.pattern = pattern
        scalars = Array(pattern.unicodeScalars)
    }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        let text = Array(name.unicodeScalars)
        // Iterative wildcard matching with backtracking to the last '*': linear in practice.
        var p = 0, t = 0
        var star: Int? = nil, mark = 0
        while t < text.count {
            if p < scalars.count, scalars[p] == "?" || (scalars[p] != "*" && scalars[p] == text[t]) {
                p += 1
                t += 1
            } else if p < scalars.count, scalars[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if let s = star {
                p = s + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < scalars.count, scalars[p] == "*" { p += 1 }
        return p == scalars.count
    }
}
