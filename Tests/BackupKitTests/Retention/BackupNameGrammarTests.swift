import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Backup name grammar", .ownThreads)
struct BackupNameGrammarTests {
    static let grammar = BackupNameGrammar(prefix: "db", job: "app")

    /// Whole keys backupd writes match, whatever the compression, encryption or segment; the
    /// backup id is the name up to the token.
    @Test(arguments: [
        ("db/app-20261201T020000Z-3f9a1c2e.dump.zst", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.manifest.json", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.globals.sql.gz", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.dump.zst.age", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.dump.zst.age.002", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.sql.zst.1000", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.rdb", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20261201T020000Z-3f9a1c2e.archive.gz", "app-20261201T020000Z-3f9a1c2e"),
        ("db/app-20200101T000000Z.dump.zst", "app-20200101T000000Z"),
    ])
    func backupNames(key: String, id: String) {
        #expect(Self.grammar.parse(key)?.backupID == id)
    }

    /// Anything else under the prefix is a stranger: an operator's copies and notes, a wrong
    /// case, a bad stamp or token, a manifest without a token, a non-canonical segment number.
    @Test(arguments: [
        "db/app-20200101T000000Z.dump.zst.bak",
        "db/app-20200101T000000Z-3f9a1c2e.manifest.json.bak",
        "db/app-20200101T000000Z.txt",
        "db/app-20200101T000000Z.tar.gz",
        "db/app-20200101T000000Z.manifest.json",
        "db/app-20200101T000000Z-3f9a1c2e",
        "db/app-20200101T000000Z-3f9a1c2e.DUMP.zst",
        "db/app-20200101T000000Z-3F9A1C2E.dump.zst",
        "db/app-20201301T000000Z-3f9a1c2e.dump.zst",
        "db/app-20200101T000000Z-3f9a1c2e.dump.zst.02",
        "db/app-20200101T000000Z-3f9a1c2e.dump.zst.000",
        "db/app-20200101T000000Z-3f9a1c2e.dump.zst.0002",
        "db/app-20200101T000000Z-3f9a1c2e.dump.zst.zst",
        "db/app-20200101T000000Z-3f9a1c2e.dump.age.zst",
        "db/app-notes.txt",
    ])
    func strangers(key: String) {
        #expect(Self.grammar.parse(key) == nil)
        #expect(!Self.grammar.isNeighbours(key))
    }

    /// A longer job's backup (`app-old` beside `app`) is its neighbour's, not a stranger; a
    /// `command` job's own extension is part of its grammar.
    @Test func neighboursAndCommandExtension() {
        #expect(Self.grammar.parse("db/app-old-20261201T020000Z-3f9a1c2e.dump.zst") == nil)
        #expect(Self.grammar.isNeighbours("db/app-old-20261201T020000Z-3f9a1c2e.dump.zst"))
        let command = BackupNameGrammar(prefix: "cli", job: "app", extraExtensions: [".txt"])
        #expect(command.matches("cli/app-20261110T020000Z.txt.zst"))
        #expect(!command.matches("cli/app-20261110T020000Z.txt.zst.bak"))
    }

    /// Prune's catalog reports the strangers under the job's prefix and never puts them in a
    /// backup; `list`'s catalog does the same.
    @Test func catalogsSetStrangersApart() async throws {
        let strangers = [
            "db/app-20200101T000000Z.dump.zst.bak", "db/app-20200101T000000Z.tar.gz", "db/app-20200101T000000Z.txt",
            "db/app-20261126T020000Z-00000001.manifest.json.bak",
        ]
        let store = FakePruneStore(keys: RetentionFixtures.backupKeys(time: "2026-11-26T02:00:00Z", token: "00000001") + strangers
            + RetentionFixtures.backupKeys(job: "app-old", time: "2026-11-20T02:00:00Z", token: "0000000a"))
        let config = try PrunerTests.config(["keepLast": 1])
        let listing = try await ManifestRetentionCatalog().listing(of: config.jobs[0], in: store)
        #expect(listing.strangers == strangers.sorted())
        #expect(listing.backups.map(\.allKeys) == [["db/app-20261126T020000Z-00000001.manifest.json", "db/app-20261126T020000Z-00000001.dump.zst"]])
        await #expect(try NameCatalog().listing(of: config.jobs[0], in: store).strangers == strangers.sorted())
        let catalog = try await BackupCatalog(store: store, job: config.jobs[0]).listing(includeIncomplete: true)
        #expect(catalog.strangers.map(\.key) == strangers.sorted())
        #expect(catalog.entries.map(\.id) == ["app-20261126T020000Z-00000001"])
    }
}
