import Foundation
import Testing
@testable import Cron

/// `ZoneRules.subtractingDays` against Go's `time.AddDate(0, 0, -n)` (restic's `keepWithin`).
///
/// Every expected instant was printed by Go 1.19 (`t.In(loc).AddDate(0, 0, -days)`, Debian's
/// golang-go, system tzdata) and checked by hand against src/time/time.go's `Date`: read the
/// shifted wall time as UTC, take the offset there, and if that offset's period does not hold
/// the result, take the offset at the result instead.
@Suite("Calendar subtraction as Go's AddDate")
struct GoAddDateTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let zone: String
        let latest: String
        let days: Int
        let expected: String
        var testDescription: String { "\(zone) \(latest) -\(days)d" }
    }

    static let rows: [Row] = [
        // Berlin spring forward (2026-03-29 02:00 CET -> 03:00 CEST): a skipped wall time moves on by the gap.
        Row(zone: "Europe/Berlin", latest: "2026-03-30T02:30:00+02:00", days: 1, expected: "2026-03-29T01:30:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-03-30T02:00:00+02:00", days: 1, expected: "2026-03-29T01:00:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-03-30T02:59:59+02:00", days: 1, expected: "2026-03-29T01:59:59Z"),
        Row(zone: "Europe/Berlin", latest: "2026-03-30T03:00:00+02:00", days: 1, expected: "2026-03-29T01:00:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-04-05T02:30:00+02:00", days: 7, expected: "2026-03-29T01:30:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-03-29T03:30:00+02:00", days: 1, expected: "2026-03-28T02:30:00Z"),
        // Berlin fall back (2026-10-25 03:00 CEST -> 02:00 CET): a repeated wall time is the second (CET) one.
        Row(zone: "Europe/Berlin", latest: "2026-10-26T02:30:00+01:00", days: 1, expected: "2026-10-25T01:30:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-10-26T02:00:00+01:00", days: 1, expected: "2026-10-25T01:00:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-10-26T01:59:59+01:00", days: 1, expected: "2026-10-24T23:59:59Z"),
        Row(zone: "Europe/Berlin", latest: "2026-11-01T02:30:00+01:00", days: 7, expected: "2026-10-25T01:30:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-10-25T02:30:00+02:00", days: 3, expected: "2026-10-22T00:30:00Z"),
        // Go converts even for 0 days: the first (CEST) 02:30 becomes the second, an hour later.
        Row(zone: "Europe/Berlin", latest: "2026-10-25T02:30:00+02:00", days: 0, expected: "2026-10-25T01:30:00Z"),
        Row(zone: "Europe/Berlin", latest: "2026-10-25T02:30:00+01:00", days: 0, expected: "2026-10-25T01:30:00Z"),
        // New York spring forward (2026-03-08 02:00 EST -> 03:00 EDT): a skipped wall time moves BACK by the gap.
        Row(zone: "America/New_York", latest: "2026-03-09T02:30:00-04:00", days: 1, expected: "2026-03-08T06:30:00Z"),
        Row(zone: "America/New_York", latest: "2026-03-09T02:00:00-04:00", days: 1, expected: "2026-03-08T06:00:00Z"),
        Row(zone: "America/New_York", latest: "2026-03-09T02:59:59-04:00", days: 1, expected: "2026-03-08T06:59:59Z"),
        Row(zone: "America/New_York", latest: "2026-03-09T03:00:00-04:00", days: 1, expected: "2026-03-08T07:00:00Z"),
        Row(zone: "America/New_York", latest: "2026-03-15T02:30:00-04:00", days: 7, expected: "2026-03-08T06:30:00Z"),
        Row(zone: "America/New_York", latest: "2026-03-08T01:30:00-05:00", days: 0, expected: "2026-03-08T06:30:00Z"),
        // New York fall back (2026-11-01 02:00 EDT -> 01:00 EST): a repeated wall time is the first (EDT) one.
        Row(zone: "America/New_York", latest: "2026-11-02T01:30:00-05:00", days: 1, expected: "2026-11-01T05:30:00Z"),
        Row(zone: "America/New_York", latest: "2026-11-02T01:00:00-05:00", days: 1, expected: "2026-11-01T05:00:00Z"),
        Row(zone: "America/New_York", latest: "2026-11-02T02:00:00-05:00", days: 1, expected: "2026-11-01T07:00:00Z"),
        Row(zone: "America/New_York", latest: "2026-11-01T01:30:00-05:00", days: 0, expected: "2026-11-01T05:30:00Z"),
        Row(zone: "America/New_York", latest: "2026-11-01T01:30:00-04:00", days: 0, expected: "2026-11-01T05:30:00Z"),
    ]

    /// Each row's `latest.AddDate(0, 0, -days)` is the instant Go printed, to the second.
    @Test(arguments: rows)
    func matchesGo(row: Row) {
        let zone = Zones.named(row.zone)
        #expect(zone.subtractingDays(row.days, from: instant(row.latest)) == instant(row.expected))
    }

    /// Sub-second parts survive, as Go keeps the nanoseconds.
    @Test func keepsFractionOfASecond() {
        let zone = Zones.named("America/New_York")
        let latest = instant("2026-03-09T02:30:00-04:00").addingTimeInterval(0.25)
        #expect(zone.subtractingDays(1, from: latest) == instant("2026-03-08T06:30:00Z").addingTimeInterval(0.25))
    }

    /// Away from transitions the conversion is the plain one (every hour of 2026 in both zones).
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
    func ordinaryWallTimesRoundTrip(zone name: String) {
        let zone = Zones.named(name)
        var t = Int(instant("2026-01-01T00:00:00Z").timeIntervalSince1970)
        let end = Int(instant("2027-01-01T00:00:00Z").timeIntervalSince1970)
        var checked = 0
        while t < end {
            let wall = t + zone.table.offset(at: t)
            // Unambiguous wall times (no fold, no gap within 3 hours) must map back to `t`.
            let around = zone.table.periods(from: t - 3 * 3600, to: t + 3 * 3600)
            if around.count == 1 {
                #expect(zone.goInstant(forWallTime: wall) == t)
                checked += 1
            }
            t += 1800
        }
        #expect(checked > 17_000)
    }
}
