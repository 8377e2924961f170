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

@Suite("Retention planner (restic forget semantics)", .ownThreads)
struct RetentionPlannerTests {
    typealias F = RetentionFixtures

    static let now = F.at("2026-12-01T12:00:00Z")

    /// A week of backups at 03:00 and 15:00 UTC, 2026-11-24 (Tue) to 2026-11-30 (Mon): b0 ... b13.
    static let twiceDaily: [String] = (24...30).flatMap { day in
        ["2026-11-\(day)T03:00:00Z", "2026-11-\(day)T15:00:00Z"]
    }

    struct Row: Sendable, CustomStringConvertible {
        let name: String
        let policy: RetentionPolicy?
        let survivors: [String]
        var description: String { name }
    }

    static let table: [Row] = [
        Row(name: "no policy keeps everything", policy: nil, survivors: (0..<14).map { "b\($0)" }),
        Row(name: "keepLast 3", policy: RetentionPolicy(keepLast: 3), survivors: ["b11", "b12", "b13"]),
        Row(name: "keepLast beyond the count keeps all", policy: RetentionPolicy(keepLast: 20), survivors: (0..<14).map { "b\($0)" }),
        Row(name: "keepDaily 3 keeps each day's newest", policy: RetentionPolicy(keepDaily: 3), survivors: ["b13", "b11", "b9"].sorted()),
        Row(name: "keepDaily with counts left also keeps the oldest", policy: RetentionPolicy(keepDaily: 10),
            survivors: ["b0", "b1", "b3", "b5", "b7", "b9", "b11", "b13"].sorted()),
        // ISO weeks: 24th-29th are week 48 (Mon 23rd - Sun 29th), the 30th starts week 49.
        Row(name: "keepWeekly 2", policy: RetentionPolicy(keepWeekly: 2), survivors: ["b11", "b13"]),
        Row(name: "keepHourly 4", policy: RetentionPolicy(keepHourly: 4), survivors: ["b10", "b11", "b12", "b13"]),
        Row(name: "keepMonthly 1", policy: RetentionPolicy(keepMonthly: 1), survivors: ["b13"]),
        Row(name: "keepYearly 2 with one year keeps newest and oldest", policy: RetentionPolicy(keepYearly: 2), survivors: ["b0", "b13"]),
        Row(name: "keepWithin 30h of the newest", policy: RetentionPolicy(keepWithin: RetentionWindow(hours: 30)),
            survivors: ["b11", "b12", "b13"]),
        Row(name: "keepWithin 2d", policy: RetentionPolicy(keepWithin: RetentionWindow(days: 2)), survivors: ["b10", "b11", "b12", "b13"]),
        Row(name: "rules add up", policy: RetentionPolicy(keepLast: 2, keepDaily: 3, keepWithin: RetentionWindow(hours: 24)),
            survivors: ["b9", "b11", "b12", "b13"]),
    ]

    /// Each policy of the table keeps exactly the expected backups of a twice-daily week.
    @Test(arguments: table)
    func policyTable(_ row: Row) {
        let planner = RetentionPlanner(policy: row.policy, zone: .utc)
        #expect(F.survivors(planner.plan(F.series(Self.twiceDaily), now: Self.now)) == row.survivors.sorted())
    }

    /// Reasons name every rule that keeps a backup, in rule order; dropped ones have none.
    @Test func reasonsPerBackup() {
        let policy = RetentionPolicy(keepLast: 1, keepDaily: 2, keepWeekly: 2, keepWithin: RetentionWindow(hours: 13))
        let plan = RetentionPlanner(policy: policy, zone: .utc).plan(F.series(Self.twiceDaily), now: Self.now)
        let reasons = Dictionary(uniqueKeysWithValues: plan.map { ($0.id, $0.reasons.map(\.description)) })
        #expect(reasons["b13"] == ["within 13h", "last", "daily", "weekly"])
        #expect(reasons["b12"] == ["within 13h"])
        #expect(reasons["b11"] == ["daily", "weekly"])
        #expect(reasons["b10"] == [])
        #expect(plan.first?.id == "b13" && plan.last?.id == "b0")
        #expect(plan.first { $0.id == "b10" }?.summary == "delete")
        #expect(plan.first { $0.id == "b11" }?.summary == "keep (daily, weekly)")
    }

    /// restic's documented example: one backup every Sunday for 12 weeks, `--keep-daily 4`
    /// keeps the last four Sundays and removes the other eight.
    @Test func resticSundaysExample() {
        let sundays = ["2019-09-01", "2019-09-08", "2019-09-15", "2019-09-22", "2019-09-29", "2019-10-06", "2019-10-13",
                       "2019-10-20", "2019-10-27", "2019-11-03", "2019-11-10", "2019-11-17"]
        let backups = sundays.map { (id: $0, time: F.at("\($0)T11:00:00+00:00")) }
        let plan = RetentionPlanner(policy: RetentionPolicy(keepDaily: 4), zone: .utc).plan(backups, now: F.at("2019-11-18T00:00:00Z"))
        #expect(F.survivors(plan) == ["2019-10-27", "2019-11-03", "2019-11-10", "2019-11-17"])
        #expect(plan.filter(\.keep).allSatisfy { $0.reasons == [.daily] })
        #expect(plan.filter { !$0.keep }.count == 8)
    }

    /// restic's documented example: daily backups for 100 years with keep-daily 7, weekly 5,
    /// monthly 12, yearly 75 keep the 7 dailies and 4 more weeklies (the dailies of a week ending
    /// on Sunday include one weekly), then monthlies and yearlies not already kept. The exact
    /// 10 and 73 (Dec 31 and Jan 1 fall among the dailies) agree with scripts/retention-oracle.py.
    @Test func resticHundredYearsExample() {
        let start = F.at("1950-01-03T02:00:00Z")
        let backups = (0..<36_525).map { (id: String($0), time: start.addingTimeInterval(Double($0) * 86_400)) }
        let policy = RetentionPolicy(keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 75)
        let plan = RetentionPlanner(policy: policy, zone: .utc).plan(backups, now: start.addingTimeInterval(36_526 * 86_400))
        #expect(ZoneRules.utc.localTime(plan[0].time).day == 2)  // newest: Sunday 2050-01-02
        let kept = plan.filter(\.keep)
        #expect(kept.filter { $0.reasons.contains(.daily) }.count == 7)
        #expect(kept.filter { $0.reasons.contains(.weekly) }.count == 5)
        #expect(kept.filter { $0.reasons.contains(.monthly) }.count == 12)
        #expect(kept.filter { $0.reasons.contains(.yearly) }.count == 75)
        let first = Dictionary(grouping: kept, by: { $0.reasons[0] }).mapValues(\.count)
        #expect(first == [.daily: 7, .weekly: 4, .monthly: 10, .yearly: 73])
        #expect(kept.count == 94)
    }

    /// Days are local days: on Berlin's spring-forward day (2026-03-29, 23 hours) and fall-back
    /// day (2026-10-25, 25 hours) a backup just after local midnight and one just before the
    /// next local midnight are the same day, though UTC puts them on different dates.
    @Test func dstDaysInBerlin() {
        let backups = F.series([
            "2026-03-28T23:30:00+01:00",  // b0: Saturday
            "2026-03-29T00:15:00+01:00",  // b1: Sunday (UTC: the 28th)
            "2026-03-29T23:45:00+02:00",  // b2: still Sunday (UTC: 21:45 on the 29th)
            "2026-03-30T00:05:00+02:00",  // b3: Monday (UTC: the 29th)
        ])
        let daily = RetentionPlanner(policy: RetentionPolicy(keepDaily: 3), zone: F.berlin).plan(backups, now: Self.now)
        #expect(F.survivors(daily) == ["b0", "b2", "b3"])
        let utc = RetentionPlanner(policy: RetentionPolicy(keepDaily: 3), zone: .utc).plan(backups, now: Self.now)
        #expect(F.survivors(utc) == ["b0", "b1", "b3"])  // UTC days 29 (b3) and 28 (b1), plus the oldest

        let autumn = F.series([
            "2026-10-25T00:10:00+02:00",  // b0: Sunday just after midnight (UTC: Saturday 22:10)
            "2026-10-25T02:30:00+02:00",  // b1: first 02:30
            "2026-10-25T02:30:00+01:00",  // b2: second 02:30, an hour later
            "2026-10-25T23:50:00+01:00",  // b3: Sunday's last
        ])
        let autumnDaily = RetentionPlanner(policy: RetentionPolicy(keepDaily: 1), zone: F.berlin).plan(autumn, now: Self.now)
        #expect(F.survivors(autumnDaily) == ["b3"])
        let hourly = RetentionPlanner(policy: RetentionPolicy(keepHourly: 3), zone: F.berlin).plan(autumn, now: Self.now)
        // Both 02:30s fall in local hour 02: one bucket, its newest (b2) kept.
        #expect(F.survivors(hourly) == ["b0", "b2", "b3"])
    }

    /// keepWithin's days are calendar days in the job's zone: 1d before 12:00 on Berlin's
    /// spring-forward day is 12:00 the day before, 23 real hours earlier; 24h reaches an hour further.
    @Test func keepWithinCalendarDaysAcrossDST() {
        let backups = F.series([
            "2026-03-28T12:00:00+01:00",  // b0: exactly one calendar day before the newest: not after the cutoff
            "2026-03-28T12:30:00+01:00",  // b1: within
            "2026-03-29T12:00:00+02:00",  // b2: newest
            "2026-03-28T10:30:00+01:00",  // b3: beyond both windows
        ])
        let plan = RetentionPlanner(policy: RetentionPolicy(keepWithin: RetentionWindow(days: 1)), zone: F.berlin)
            .plan(backups, now: Self.now)
        #expect(F.survivors(plan) == ["b1", "b2"])
        let hours = RetentionPlanner(policy: RetentionPolicy(keepWithin: RetentionWindow(hours: 24)), zone: F.berlin)
            .plan(backups, now: Self.now)
        #expect(F.survivors(hours) == ["b0", "b1", "b2"])  // 24 real hours reach 11:00+01:00
    }

    /// ISO week 53: 2026 has one (Mon 28 Dec 2026 - Sun 3 Jan 2027), so 31 Dec 2026 and
    /// 2 Jan 2027 share a week while 27 Dec is week 52; 2027 has none.
    @Test func isoWeek53() {
        let backups = F.series([
            "2026-12-27T10:00:00Z",  // b0: week 52 of 2026 (Sunday)
            "2026-12-28T10:00:00Z",  // b1: week 53 (Monday)
            "2026-12-31T10:00:00Z",  // b2: week 53
            "2027-01-02T10:00:00Z",  // b3: week 53 of 2026, though in 2027
            "2027-01-04T10:00:00Z",  // b4: week 1 of 2027
        ])
        let plan = RetentionPlanner(policy: RetentionPolicy(keepWeekly: 3), zone: .utc).plan(backups, now: F.at("2027-02-01T00:00:00Z"))
        #expect(F.survivors(plan) == ["b0", "b3", "b4"])
        let local = RetentionFixtures.berlin.localTime(F.at("2027-01-02T10:00:00Z"))
        #expect(local.isoWeekYear == 2026 && local.isoWeek == 53)
        let yearly = RetentionPlanner(policy: RetentionPolicy(keepYearly: 1), zone: .utc).plan(backups, now: F.at("2027-02-01T00:00:00Z"))
        #expect(F.survivors(yearly) == ["b4"])
    }

    /// The newest backup survives every policy, including one whose window is measured from an
    /// older backup because the newest is dated in the future.
    @Test(arguments: [
        RetentionPolicy(keepLast: 1), RetentionPolicy(keepYearly: 1), RetentionPolicy(keepWithin: RetentionWindow(hours: 1)),
        RetentionPolicy(keepHourly: 1, keepWithin: RetentionWindow(days: 1)),
    ])
    func newestAlwaysKept(_ policy: RetentionPolicy) {
        let backups = F.series(Self.twiceDaily + ["2027-06-01T00:00:00Z"])
        let plan = RetentionPlanner(policy: policy, zone: F.berlin).plan(backups, now: Self.now)
        #expect(plan.first?.id == "b14" && plan.first?.keep == true)
        #expect(plan.contains { !$0.keep })
    }

    /// Backups dated after `now` do not move keepWithin's reference (restic ignores them).
    @Test func keepWithinIgnoresFutureBackups() {
        let backups = F.series(["2026-11-29T10:00:00Z", "2026-11-30T10:00:00Z", "2027-06-01T00:00:00Z"])
        let plan = RetentionPlanner(policy: RetentionPolicy(keepWithin: RetentionWindow(hours: 25)), zone: .utc).plan(backups, now: Self.now)
        #expect(F.survivors(plan) == ["b0", "b1", "b2"])
    }

    /// A long mixed series over two years (hourly for the last two days, daily for two months,
    /// weekly before that, in Berlin time) under a GFS policy keeps the expected counts.
    @Test func twoYearMixedSeries() {
        let end = F.at("2026-11-30T22:00:00Z")
        var times: [Date] = []
        for h in 0..<48 { times.append(end.addingTimeInterval(-Double(h) * 3600)) }
        for d in 2..<60 { times.append(end.addingTimeInterval(-Double(d) * 86_400)) }
        for w in 9..<104 { times.append(end.addingTimeInterval(-Double(w) * 7 * 86_400)) }
        let backups = times.map { (id: ObjectName.timestamp($0), time: $0) }
        let policy = RetentionPolicy(keepLast: 5, keepHourly: 24, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 3)
        let plan = RetentionPlanner(policy: policy, zone: F.berlin).plan(backups, now: end.addingTimeInterval(60))
        let kept = plan.filter(\.keep)
        #expect(kept.filter { $0.reasons.contains(.last) }.count == 5)
        #expect(kept.filter { $0.reasons.contains(.hourly) }.count == 24)
        #expect(kept.filter { $0.reasons.contains(.daily) }.count == 14)
        #expect(kept.filter { $0.reasons.contains(.weekly) }.count == 8)
        #expect(kept.filter { $0.reasons.contains(.monthly) }.count == 12)
        #expect(kept.filter { $0.reasons.contains(.yearly) }.count == 3)
        // The yearly rule reaches the newest backup of 2024 (a weekly one, Berlin time).
        let newestOf2024 = backups.filter { F.berlin.localTime($0.time).year == 2024 }.map(\.time).max()
        #expect(kept.contains { $0.time == newestOf2024 && $0.reasons.contains(.yearly) })
        #expect(plan.count == backups.count)
        #expect(kept.count < backups.count && kept.count > 24)
    }
}
