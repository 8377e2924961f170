import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Table patterns", .ownThreads)
struct TablePatternTests {
    /// pg_dump patterns become the regular expressions pg_dump itself builds: unquoted letters fold
    /// to lower case, `*` and `?` are wildcards, `.` splits off the schema, quotes keep case and
    /// escape regular-expression characters, `$` and `[]` are literal.
    @Test(arguments: [
        ("a", nil, "^(a)$"),
        ("public.b*", "^(public)$", "^(b.*)$"),
        ("\"Mixed Case\"", nil, "^(Mixed Case)$"),
        ("Users", nil, "^(users)$"),
        ("a$", nil, "^(a\\$)$"),
        ("\"a.b\"", nil, "^(a\\.b)$"),
        ("x?y", nil, "^(x.y)$"),
        ("\"q\"\"uote\"", nil, "^(q\"uote)$"),
        ("a[]", nil, "^(a\\[])$"),
        ("s*.\"T+\"", "^(s.*)$", "^(T\\+)$"),
    ] as [(String, String?, String)])
    func postgresRegex(pattern: String, schema: String?, table: String) throws {
        let parsed = try #require(PostgresTablePattern(pattern))
        #expect(parsed.schema?.regex == schema)
        #expect(parsed.table.regex == table)
    }

    /// An unqualified pattern matches tables visible in the search_path, like pg_dump; `*` parts
    /// constrain nothing; literals are escaped for SQL.
    @Test func postgresCondition() throws {
        #expect(try #require(PostgresTablePattern("a")).condition
            == "c.relname OPERATOR(pg_catalog.~) E'^(a)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid)")
        #expect(try #require(PostgresTablePattern("*")).condition == "pg_catalog.pg_table_is_visible(c.oid)")
        #expect(try #require(PostgresTablePattern("*.*")).condition == "true")
        #expect(try #require(PostgresTablePattern("\"it's\"")).condition.contains("E'^(it''s)$'"))
        #expect(try #require(PostgresTablePattern("a$")).condition.contains(#"E'^(a\\$)$'"#))
        #expect(PostgresTablePattern("\"open") == nil)
        #expect(PostgresTablePattern("a.b.c") == nil)
    }

    /// MySQL globs: `*` any run, `?` one character, everything else literal and case-sensitive.
    @Test(arguments: [
        ("a*", "abc", true), ("a*", "ba", false), ("?", "a", true), ("?", "ab", false),
        ("*_log", "app_log", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
        ("Logs", "logs", false), ("a.b", "a.b", true), ("a.b", "aXb", false), ("*", "", true), ("l?gs", "logs", true),
    ])
    func mysqlGlob(pattern: String, name: String, matches: Bool) {
        #expect(TableGlob(pattern).matches(name) == matches)
    }

    /// The plan sorts and de-duplicates names, and exclusion wins over inclusion.
    @Test func mysqlPlan() {
        let plan = MySQLTablePlan(selection: TableSelection(include: ["b", "a"], exclude: ["b"]), tables: ["b", "a", "a", "c"])
        #expect(plan.dataTables == ["a"])
        #expect(plan.schemaOnlyTables.isEmpty)
        #expect(plan.ignoredTables == ["b", "c"])
        #expect(plan.dataArguments(database: "shop") == ["--", "shop", "a"])
        #expect(plan.schemaArguments(database: "shop") == nil)
        #expect(MySQLTablePlan(selection: TableSelection(include: ["zz*"]), tables: ["a"]).isEmpty)
    }
}
