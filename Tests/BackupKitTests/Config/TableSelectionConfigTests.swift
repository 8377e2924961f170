import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A config whose first job is `engine` with `tables` set to `tables` (nil: no key).
private func tablesConfig(engine: String = "postgres", _ tables: Any?) -> String {
    configText { root in
        editJob(&root) { job in
            job["engine"] = engine
            switch engine {
            case "mysql": job["connection"] = ["host": "127.0.0.1", "username": "backup", "database": "shop"]
            case "redis": job["connection"] = ["host": "127.0.0.1"]
            case "command": job["connection"] = ["argv": ["cat", "/srv/data"]]
            default: break
            }
            job["tables"] = tables
        }
    }
}

/// Loads `text` and returns the config and its warnings.
private func load(_ text: String) throws -> (BackupConfig, [ConfigProblem]) {
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = text
    return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
}

private let tablesPath = "jobs[\"app-db\"].tables"

@Suite("Table selection config", .ownThreads)
struct TableSelectionConfigTests {
    /// Valid selections load as written, for both engines, without warnings.
    @Test(arguments: [
        ("postgres", ["include": ["a", "public.b*", "\"Mixed Case\""], "exclude": ["logs"], "excludeData": ["audit_?"]] as [String: [String]],
         TableSelection(include: ["a", "public.b*", "\"Mixed Case\""], exclude: ["logs"], excludeData: ["audit_?"])),
        ("postgres", ["excludeData": ["logs"]], TableSelection(excludeData: ["logs"])),
        ("mysql", ["include": ["orders", "order_*"], "exclude": ["order_tmp?"]], TableSelection(include: ["orders", "order_*"], exclude: ["order_tmp?"])),
        ("mysql", ["exclude": ["-odd name"]], TableSelection(exclude: ["-odd name"])),
    ])
    func validSelections(engine: String, tables: [String: [String]], expected: TableSelection) throws {
        let (config, warnings) = try load(tablesConfig(engine: engine, tables))
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.jobs[0].tables == expected)
    }

    /// A job without `tables` backs up the whole database.
    @Test func absentMeansWholeDatabase() throws {
        let (config, _) = try load(tablesConfig(nil))
        #expect(config.jobs[0].tables == nil)
    }

    /// Each bad selection is an error at its JSON path that quotes the value and says what is valid.
    @Test(arguments: [
        ("redis", #"{"include": ["a"]}"#, tablesPath, "table selection is for postgres and mysql jobs, not redis"),
        ("command", #"{"include": ["a"]}"#, tablesPath, "table selection is for postgres and mysql jobs, not command"),
        ("postgres", #"["a"]"#, tablesPath, "expected a table selection (a JSON object), found an array"),
        ("postgres", #"{}"#, tablesPath, "selects nothing; give at least one of \"include\", \"exclude\" or \"excludeData\""),
        ("postgres", #"{"include": []}"#, tablesPath + ".include", "is an empty list, which selects nothing"),
        ("mysql", #"{"excludeData": []}"#, tablesPath + ".excludeData", "is an empty list, which selects nothing"),
        ("postgres", #"{"include": "a"}"#, tablesPath + ".include", "expected an array of strings, found a string \"a\""),
        ("postgres", #"{"exclude": ["a", 3]}"#, tablesPath + ".exclude[1]", "expected a string, found a number 3"),
        ("postgres", #"{"include": [""]}"#, tablesPath + ".include[0]", "must not be empty; give a table name or pattern"),
        ("mysql", #"{"include": ["a\nb"]}"#, tablesPath + ".include[0]", "\"a\\nb\" contains a control character"),
        ("postgres", #"{"exclude_data": ["logs"]}"#, tablesPath + ".exclude_data", "unknown key \"exclude_data\" (did you mean \"excludeData\"?); valid keys here: include, exclude, excludeData"),
        ("postgres", #"{"include": ["app.public.logs"]}"#, tablesPath + ".include[0]", "\"app.public.logs\" has 3 dotted names; a table pattern is \"table\" or \"schema.table\""),
        ("postgres", #"{"include": ["public."]}"#, tablesPath + ".include[0]", "has an empty name around a '.'"),
        ("postgres", #"{"exclude": ["\"Audit Log"]}"#, tablesPath + ".exclude[0]", "has an unmatched double quote"),
        ("mysql", #"{"include": ["other.orders"]}"#, tablesPath + ".include[0]", "MySQL patterns name tables of the job's database \"shop\" without a database; write \"orders\" rather than \"other.orders\""),
    ])
    func invalidSelections(engine: String, tablesJSON: String, path: String, fragment: String) throws {
        let tables = try JSONSerialization.jsonObject(with: Data(tablesJSON.utf8), options: .fragmentsAllowed)
        let found = problems(tablesConfig(engine: engine, tables))
        let problem = try #require(found.first { $0.path == path }, "\(found)")
        #expect(problem.severity == .error)
        #expect(problem.message.contains(fragment), "\(problem.message)")
        #expect(problem.description.hasPrefix("/etc/backupd/config.json:"), "\(problem.description)")
        #expect(problem.position != nil)
    }

    /// Overlaps and likely mistakes load with a warning at the pattern's path.
    @Test(arguments: [
        (["include": ["logs", "a"], "exclude": ["logs"]], tablesPath + ".include[0]", "\"logs\" is also in \"exclude\": exclude wins"),
        (["exclude": ["logs"], "excludeData": ["logs"]], tablesPath + ".excludeData[0]", "an excluded table is not dumped at all"),
        (["include": ["a", "a"]], tablesPath + ".include[1]", "\"a\" is listed twice in \"include\""),
        (["include": ["Users"]], tablesPath + ".include[0]", "pg_dump folds to lower case"),
        (["exclude": ["logs "]], tablesPath + ".exclude[0]", "starts or ends with a space"),
    ] as [([String: [String]], String, String)])
    func warnings(tables: [String: [String]], path: String, fragment: String) throws {
        let (config, warnings) = try load(tablesConfig(tables))
        let warning = try #require(warnings.first { $0.path == path }, "\(warnings)")
        #expect(warning.severity == .warning)
        #expect(warning.message.contains(fragment), "\(warning.message)")
        #expect(config.jobs[0].tables != nil)
    }
}
