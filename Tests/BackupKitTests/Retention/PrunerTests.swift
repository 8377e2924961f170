import BackupTestSupport
import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Pruner", .ownThreads)
struct PrunerTests {
    typealias F = RetentionFixtures
    static let now = F.at("2026-12-01T12:00:00Z")

    /// A config whose job `app` (prefix `db`, timeout 1h) keeps `retention`.
    static func config(_ retention: [String: Any], multiDelete: Bool = true) throws -> BackupConfig {
        try loadConfig(configText { root in
            editDestination(&root) { $0["multiObjectDelete"] = multiDelete }
            editJob(&root) { job in
                job["name"] = "app"
                job["prefix"] = "db"
                job["timeout"] = "1h"
                job["retention"] = retention
            }
        })
    }

    /// Four daily backups (the 26th to the 29th), the newest with globals, plus a neighbour's and
    /// a stranger's objects.
    static func bucket() -> FakePruneStore {
        var keys: [String] = []
        for (day, token) in [(26, "00000001"), (27, "00000002"), (28, "00000003"), (29, "00000004")] {
            keys += F.backupKeys(time: "2026-11-\(day)T02:00:00Z", token: token, globals: day == 29)
        }
        keys += F.backupKeys(job: "app-old", time: "2026-11-20T02:00:00Z", token: "0000000a")
        keys += ["db/app-notes.txt", "db/README"]
        return FakePruneStore(keys: keys)
    }

    static func pruner(_ store: FakePruneStore, history: HistoryStore? = nil) -> Pruner {
        Pruner(stores: store, history: history, clock: ManualWallClock(now))
    }

    /// keepLast 2 deletes the two oldest backups, manifests first in one batch, then their data;
    /// the neighbour job's and the stranger's objects stay.
    @Test func deletesManifestFirstThenData() async throws {
        let store = Self.bucket()
        let config = try Self.config(["keepLast": 2])
        let report = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(store.calls == [
            "batch db/app-20261126T020000Z-00000001.manifest.json db/app-20261127T020000Z-00000002.manifest.json",
            "batch db/app-20261126T020000Z-00000001.dump.zst db/app-20261127T020000Z-00000002.dump.zst",
        ])
        #expect(report.deleted.count == 4 && report.refused.isEmpty)
        #expect(store.keys.contains("db/app-old-20261120T020000Z-0000000a.dump.zst"))
        #expect(store.keys.contains("db/app-notes.txt") && store.keys.contains("db/README"))
        #expect(store.keys.filter { $0.hasPrefix("db/app-2026") }.count == 5)
        #expect(report.plan.entries.map(\.decision.summary) == ["keep (last)", "keep (last)", "delete", "delete"])
    }

    /// Without multi-object delete, objects go one by one, manifest before data.
    @Test func singleDeletesWithoutMultiDelete() async throws {
        let store = Self.bucket()
        let config = try Self.config(["keepLast": 3], multiDelete: false)
        _ = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(store.calls == ["one db/app-20261126T020000Z-00000001.manifest.json", "one db/app-20261126T020000Z-00000001.dump.zst"])
    }

    /// A dry run lists and decides but deletes nothing.
    @Test func dryRunDeletesNothing() async throws {
        let store = Self.bucket()
        let config = try Self.config(["keepLast": 1])
        let report = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: true, logger: Logger(label: "test"))
        #expect(store.calls.isEmpty && report.records.isEmpty && report.dryRun)
        #expect(report.plan.deletions.count == 3)
        let text = PruneReportRenderer.render(report, policy: config.jobs[0].retention, zone: .utc)
        #expect(text.contains("app (dry run, nothing is deleted): keeps the newest 1 (the newest backup always)"))
        #expect(text.contains("app-20261129T020000Z-00000004  2026-11-29T02:00:00+00:00  keep (last)"))
        #expect(text.contains("app-20261126T020000Z-00000001  2026-11-26T02:00:00+00:00  delete"))
        #expect(text.hasSuffix("1 kept, 3 would be deleted"))
    }

    /// A listing that fails deletes nothing and says so.
    @Test func failedListingDeletesNothing() async throws {
        let store = Self.bucket()
        store.failListing(true)
        let config = try Self.config(["keepLast": 1])
        let before = store.keys
        await #expect {
            try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("cannot list the backups of app under db/app- (ListObjectsV2 page 2 failed with HTTP 500); nothing was deleted")
        }
        #expect(store.calls.isEmpty && store.keys == before)
    }

    /// A refused manifest keeps its whole backup (data not attempted, so it stays listed and
    /// restorable); a refused data object is reported; each is tried once, and every object is
    /// recorded in the history with its outcome.
    @Test func refusalsAreReportedNotRetried() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let store = Self.bucket()
        store.refuse(["db/app-20261126T020000Z-00000001.manifest.json", "db/app-20261127T020000Z-00000002.dump.zst"])
        let config = try Self.config(["keepLast": 2])
        let report = try await Self.pruner(store, history: history).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(store.calls == [
            "batch db/app-20261126T020000Z-00000001.manifest.json db/app-20261127T020000Z-00000002.manifest.json",
            "batch db/app-20261127T020000Z-00000002.dump.zst",
        ])
        #expect(report.refused.map(\.objectKey) == ["db/app-20261126T020000Z-00000001.manifest.json", "db/app-20261127T020000Z-00000002.dump.zst"])
        #expect(report.refused.allSatisfy { $0.error == "AccessDenied: object is WORM protected" })
        #expect(store.keys.contains("db/app-20261126T020000Z-00000001.dump.zst"))
        let recorded = try history.deletions(job: "app")
        #expect(recorded.map(\.outcome) == [.refused, .deleted, .skipped, .refused])
        #expect(recorded.allSatisfy { $0.bucket == "backups" && $0.destination == "local" && $0.cause == .retention })
        let text = PruneReportRenderer.render(report, policy: config.jobs[0].retention, zone: .utc)
        #expect(text.contains("delete FAILED: AccessDenied: object is WORM protected"))
    }

    /// Single deletes report the S3 error of a refused object, once.
    @Test func singleDeleteRefusal() async throws {
        let store = Self.bucket()
        store.refuse(["db/app-20261126T020000Z-00000001.manifest.json"])
        let config = try Self.config(["keepLast": 3], multiDelete: false)
        let report = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(store.calls == ["one db/app-20261126T020000Z-00000001.manifest.json"])
        #expect(report.refused.first?.error?.contains("access denied for DeleteObject") == true)
    }

    /// Incomplete backups older than the timeout (1h) plus the margin (1h) are removed and
    /// reported; a younger one may still be running and stays.
    @Test func staleIncompleteBackups() async throws {
        let store = Self.bucket()
        store.add(F.backupKeys(time: "2026-11-30T02:00:00Z", token: "0000dead", complete: false))
        store.add(F.backupKeys(time: "2026-12-01T10:30:00Z", token: "0000beef", complete: false))
        let config = try Self.config(["keepDaily": 30])
        let report = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(report.plan.staleIncomplete.map(\.id) == ["app-20261130T020000Z-0000dead"])
        #expect(report.plan.pendingIncomplete.map(\.id) == ["app-20261201T103000Z-0000beef"])
        #expect(report.deleted.map(\.objectKey) == ["db/app-20261130T020000Z-0000dead.dump.zst"])
        #expect(report.deleted.allSatisfy { $0.cause == .incomplete })
        #expect(store.keys.contains("db/app-20261201T103000Z-0000beef.dump.zst"))
        #expect(report.plan.entries.allSatisfy { $0.decision.keep })
    }

    /// The globals of a PostgreSQL backup go with its dump; the newest backup is never deleted
    /// (even by a policy that keeps only backups within an hour of it).
    @Test func globalsGoWithTheirDumpAndNewestStays() async throws {
        let store = Self.bucket()
        store.add(F.backupKeys(time: "2026-11-25T02:00:00Z", token: "000000ff", globals: true))
        let config = try Self.config(["keepWithin": "1h"])
        _ = try await Self.pruner(store).prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(!store.keys.contains("db/app-20261125T020000Z-000000ff.globals.sql.zst"))
        #expect(store.keys.filter { $0.hasPrefix("db/app-2026") }.sorted() == F.backupKeys(time: "2026-11-29T02:00:00Z", token: "00000004", globals: true).sorted())
    }

    /// list's RETENTION column: every object of a backup shows its backup's decision, incomplete
    /// ones say so, and objects of no backup of the job have none.
    @Test func summaryByKeyForList() async throws {
        let store = Self.bucket()
        store.add(F.backupKeys(time: "2026-11-30T02:00:00Z", token: "0000dead", complete: false))
        let config = try Self.config(["keepLast": 2])
        let plan = try await Self.pruner(store).plan(job: config.jobs[0], config: config, logger: Logger(label: "test"))
        let byKey = plan.summaryByKey
        #expect(byKey["db/app-20261129T020000Z-00000004.globals.sql.zst"] == "keep (last)")
        #expect(byKey["db/app-20261129T020000Z-00000004.manifest.json"] == "keep (last)")
        #expect(byKey["db/app-20261126T020000Z-00000001.dump.zst"] == "delete")
        #expect(byKey["db/app-20261130T020000Z-0000dead.dump.zst"] == "incomplete, delete")
        #expect(byKey["db/app-notes.txt"] == nil && byKey["db/app-old-20261120T020000Z-0000000a.dump.zst"] == nil)
        #expect(store.calls.isEmpty)
    }
}
