import BackupTestSupport
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

private let tools: Set<String> = ["pg_dump", "psql", "pg_restore", "mariadb-dump", "mariadb"]

/// A postgres or mysql job1 with `tables`.
private func tablesJob(_ engine: String, _ tables: [String: [String]]) -> [String: Any] {
    let database = engine == "postgres" ? "app" : "shop"
    return ["engine": engine, "tables": tables, "connection": ["host": "db.internal", "username": "backup", "database": database]]
}

/// Healthy tools, where the information_schema query lists `tables` (batch-escaped).
private func listing(_ tables: String) -> @Sendable (ProcessSpec) -> RecordingLauncher.Reply {
    { spec in
        if spec.argv.contains(where: { $0.hasPrefix("--execute=SELECT TABLE_NAME FROM information_schema.TABLES") }) {
            return .init(output: tables)
        }
        return healthyTools()(spec)
    }
}

/// Runs job1 with a recording launcher, uncompressed so the stored object is the tools' output.
private func record(_ job: [String: Any], reply: @escaping @Sendable (ProcessSpec) -> RecordingLauncher.Reply = healthyTools())
    async throws -> (RunOutcome, RecordingLauncher, MemoryObjectStore)
{
    let launcher = RecordingLauncher(installed: tools, reply: reply)
    let store = MemoryObjectStore()
    let outcome = try await runJob(try pipelineConfig(job, compression: "none"), store: store, launcher: launcher)
    return (outcome, launcher, store)
}

private let leading = ["--host=db.internal", "--port=3306", "--protocol=TCP", "--user=backup", "--default-character-set=utf8mb4"]

@Suite("Table selection: dump arguments", .ownThreads)
struct TableSelectionArgvTests {
    /// pg_dump gets each pattern as one `--table=`, `--exclude-table=` or `--exclude-table-data=`
    /// argument, unchanged (no shell, no splitting), before the database; the manifest records the
    /// selection as configured.
    @Test func postgresArguments() async throws {
        let selection: [String: [String]] = [
            "include": ["a", "public.b*", "\"Mixed Case\"", "-x; rm -rf /"], "exclude": ["logs"], "excludeData": ["audit_?"],
        ]
        let (outcome, launcher, store) = try await record(tablesJob("postgres", selection))
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let dump = try #require(launcher.specs.first { $0.argv[0] == "pg_dump" && !$0.argv.contains("--version") })
        #expect(dump.argv == [
            "pg_dump", "--format=custom", "--host", "db.internal", "--port", "5432", "--username", "backup", "--no-password",
            "--table=a", "--table=public.b*", "--table=\"Mixed Case\"", "--table=-x; rm -rf /", "--exclude-table=logs",
            "--exclude-table-data=audit_?", "--dbname", "app",
        ])
        let manifest = try BackupManifest.parse(try #require(store.bytes(of: manifestKey)), key: manifestKey)
        #expect(manifest.tables == TableSelection(
            include: ["a", "public.b*", "\"Mixed Case\"", "-x; rm -rf /"], exclude: ["logs"], excludeData: ["audit_?"]))
        #expect(manifest.isPartial)
        #expect(String(decoding: try #require(store.bytes(of: manifestKey)), as: UTF8.self).contains("\"excludeData\" : ["))
    }

    /// Without `tables` the argv is unchanged and the manifest says `"tables" : null`.
    @Test func postgresWholeDatabase() async throws {
        let (outcome, launcher, store) = try await record(["engine": "postgres", "connection": ["host": "db.internal", "username": "backup", "database": "app"]])
        #expect(outcome.status == .succeeded)
        let dump = try #require(launcher.specs.first { $0.argv[0] == "pg_dump" && !$0.argv.contains("--version") })
        #expect(!dump.argv.contains { $0.hasPrefix("--table") || $0.hasPrefix("--exclude-table") })
        let text = String(decoding: try #require(store.bytes(of: manifestKey)), as: UTF8.self)
        #expect(text.contains("\"tables\" : null"))
        #expect(try BackupManifest.parse(Array(text.utf8), key: manifestKey).isPartial == false)
    }

    /// MySQL: include names the matched tables after `--` and the database; exclude becomes
    /// `--ignore-table=db.table`; excludeData tables are left out of the first dump and dumped by a
    /// second `--no-data` mariadb-dump whose output follows the first in the same object.
    @Test(arguments: [
        (["include": ["a", "l*"]], ["--", "shop", "a", "logs"], nil as [String]?),
        (["exclude": ["l?gs", "c"]], ["--ignore-table=shop.c", "--ignore-table=shop.logs", "--", "shop"], nil),
        (["excludeData": ["logs"]], ["--ignore-table=shop.logs", "--", "shop"], ["--", "shop", "logs"]),
        (["include": ["*"], "exclude": ["a"], "excludeData": ["logs", "b"]], ["--", "shop", "-odd", "c"], ["--", "shop", "b", "logs"]),
        (["include": ["logs"], "excludeData": ["logs"]],
         ["--ignore-table=shop.-odd", "--ignore-table=shop.a", "--ignore-table=shop.b", "--ignore-table=shop.c", "--ignore-table=shop.logs", "--", "shop"],
         ["--", "shop", "logs"]),
    ] as [([String: [String]], [String], [String]?)])
    func mysqlArguments(tables: [String: [String]], data: [String], schema: [String]?) async throws {
        let (outcome, launcher, store) = try await record(tablesJob("mysql", tables), reply: listing("-odd\na\nb\nc\nlogs\n"))
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let dumps = launcher.specs.filter { $0.argv[0] == "mariadb-dump" && !$0.argv.contains("--version") }
        try #require(dumps.count == (schema == nil ? 1 : 2), "\(dumps.map(\.argv))")
        #expect(dumps[0].argv[1].hasPrefix("--defaults-extra-file=") == false)
        #expect(Array(dumps[0].argv.dropFirst()) == leading + MySQLDriver.dumpOptions + data)
        if let schema {
            #expect(Array(dumps[1].argv.dropFirst()) == leading + ["--single-transaction", "--no-data", "--triggers", "--skip-routines", "--skip-events"] + schema)
            // One object holds both dumps, the data first.
            let key = "pre/fix/job1-20261125T023000Z-0123abcd.sql"
            let dump = "DUMPDATA-mariadb-dump\n\(DumpCheck.mysqldumpTrailer) on 2026-12-01 03:00:00\n"
            #expect(store.bytes(of: key) == Array((dump + dump).utf8))
        }
        #expect(store.keys == ["pre/fix/job1-20261125T023000Z-0123abcd.sql", manifestKey].sorted())
    }

    /// A MySQL selection that matches no table fails before any dump starts, naming the patterns
    /// and `backupd check`; nothing is uploaded.
    @Test func mysqlSelectionMatchingNothingFails() async throws {
        let (outcome, launcher, store) = try await record(tablesJob("mysql", ["include": ["nothing*"]]), reply: listing("a\nb\n"))
        #expect(outcome.status == .failed)
        #expect(outcome.error == "job job1: \"tables\" (include nothing*) selects no table of database shop, so there is nothing to back up; run `backupd check job1` to see what each pattern matches")
        #expect(!launcher.specs.contains { $0.argv[0] == "mariadb-dump" && !$0.argv.contains("--version") })
        #expect(store.keys.isEmpty && store.abortedKeys.isEmpty)
    }

    /// The mariadb client's batch escapes are undone, so a name with a tab or backslash is matched as stored.
    @Test func batchFieldsAreUnescaped() {
        #expect(MySQLDriver.unescapeBatch(#"a\tb\\c\nd"#) == "a\tb\\c\nd")
        #expect(MySQLDriver.unescapeBatch("plain") == "plain")
    }
}
