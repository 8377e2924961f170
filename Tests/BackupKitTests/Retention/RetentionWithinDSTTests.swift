import Cron
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// keepWithin on DST days, where "newest minus N days" lands in a skipped or repeated local hour:
/// the cutoff is restic's `latest.AddDate(0, 0, -days).Add(-hours)` (instants printed by Go 1.19).
@Suite("keepWithin across DST, as restic", .ownThreads)
struct RetentionWithinDSTTests {
    typealias F = RetentionFixtures
    static let now = F.at("2026-12-01T12:00:00Z")

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let zone: String
        let window: RetentionWindow
        let times: [String]
        let survivors: [String]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        // Go puts New York's skipped 02:30 at 01:30 EST (06:30Z): b1 and b2 are within, as restic keeps them
        // (the old forward shift to 03:30 EDT put the cutoff at 07:30Z and deleted both).
        Row(name: "New York spring: skipped 02:30 is 01:30 EST", zone: "America/New_York", window: RetentionWindow(days: 1), times: [
            "2026-03-08T01:29:00-05:00", "2026-03-08T01:45:00-05:00", "2026-03-08T03:15:00-04:00",
            "2026-03-08T03:45:00-04:00", "2026-03-09T02:30:00-04:00",
        ], survivors: ["b1", "b2", "b3", "b4"]),
        // Go puts Berlin's repeated 02:30 at the second one (CET, 01:30Z): the first 02:45 (CEST) is outside.
        Row(name: "Berlin fall: repeated 02:30 is the CET one", zone: "Europe/Berlin", window: RetentionWindow(days: 1), times: [
            "2026-10-25T02:45:00+02:00", "2026-10-25T02:15:00+01:00", "2026-10-25T02:45:00+01:00", "2026-10-26T02:30:00+01:00",
        ], survivors: ["b2", "b3"]),
        // Berlin's skipped 02:30 is 03:30 CEST (01:30Z).
        Row(name: "Berlin spring: skipped 02:30 is 03:30 CEST", zone: "Europe/Berlin", window: RetentionWindow(days: 7), times: [
            "2026-03-29T01:45:00+01:00", "2026-03-29T03:15:00+02:00", "2026-03-29T03:45:00+02:00", "2026-04-05T02:30:00+02:00",
        ], survivors: ["b2", "b3"]),
        // New York's repeated 01:30 is the first one (EDT, 05:30Z).
        Row(name: "New York fall: repeated 01:30 is the EDT one", zone: "America/New_York", window: RetentionWindow(days: 1), times: [
            "2026-11-01T01:15:00-04:00", "2026-11-01T01:45:00-04:00", "2026-11-01T01:15:00-05:00", "2026-11-02T01:30:00-05:00",
        ], survivors: ["b1", "b2", "b3"]),
        // Hours only: Go still converts the newest's wall time, so the first 02:30 (CEST, 00:30Z) reads
        // as the second (01:30Z) before 2h are taken off: the cutoff is 23:30Z, not 22:30Z.
        Row(name: "Berlin fall, 2h: the newest in the first 02:30 counts from the second", zone: "Europe/Berlin",
            window: RetentionWindow(hours: 2), times: [
            "2026-10-24T22:45:00Z", "2026-10-24T23:45:00Z", "2026-10-25T02:30:00+02:00",
        ], survivors: ["b1", "b2"]),
    ]

    /// The kept backups are exactly those restic keeps, each with the reason "within".
    @Test(arguments: rows)
    func keepsWhatResticKeeps(row: Row) throws {
        let zone = try ZoneRules.load(identifier: row.zone)
        let plan = RetentionPlanner(policy: RetentionPolicy(keepWithin: row.window), zone: zone).plan(F.series(row.times), now: Self.now)
        #expect(F.survivors(plan) == row.survivors)
        for decision in plan where decision.keep {
            #expect(decision.reasons.map(\.description).contains("within \(row.window)"))
        }
    }
}
