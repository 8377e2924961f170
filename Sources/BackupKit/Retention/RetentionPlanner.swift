import ConfigKit
import Cron
import Foundation

/// Decides which backups a retention policy keeps, with restic `forget` semantics. Pure: no I/O,
/// time passed in.
///
/// Backups are judged newest first by their own time. `keepLast` keeps the N newest; each of
/// `keepHourly`/`Daily`/`Weekly`/`Monthly`/`Yearly` keeps the newest backup of each of the N most
/// recent hours/days/ISO weeks/months/years that have one, read in `zone`; while such a rule has
/// counts left at the oldest backup, it keeps that one too (restic 0.16+, so the history reaches
/// as far back as the counts allow). `keepWithin` keeps every backup taken after the newest
/// backup's time minus the window (backups dated after `now` do not count as the newest). Rules
/// add up, and the newest backup is always kept.
public struct RetentionPlanner: Sendable {
    /// The policy; nil keeps everything.
    public let policy: RetentionPolicy?
    /// The zone whose calendar the hourly ... yearly rules use.
    public let zone: ZoneRules

    /// A planner for `policy` read in `zone`.
    public init(policy: RetentionPolicy?, zone: ZoneRules) {
        self.policy = policy
        self.zone = zone
    }

    /// One decision per backup, newest first (ties by id, larger first). The `suspicious` ones
    /// (far smaller than their peers, not acknowledged) are kept as extras and count toward no
    /// rule, so an older good backup is never deleted to make room for one.
    public func plan(_ backups: [(id: String, time: Date)], now: Date, suspicious: Set<String> = []) -> [RetentionDecision] {
        let sorted = backups.sorted { $0.time != $1.time ? $0.time > $1.time : $0.id > $1.id }
        guard let policy else {
            return sorted.map { RetentionDecision(id: $0.id, time: $0.time, reasons: [.noPolicy]) }
        }
        guard suspicious.isEmpty else {
            let counted = plan(sorted.filter { !suspicious.contains($0.id) }, now: now)
            let kept = sorted.filter { suspicious.contains($0.id) }.map { RetentionDecision(id: $0.id, time: $0.time, reasons: [.suspicious]) }
            return (counted + kept).sorted { $0.time != $1.time ? $0.time > $1.time : $0.id > $1.id }
        }
        var buckets = Self.buckets(policy)
        let cutoff = withinCutoff(policy.keepWithin, sorted: sorted, now: now)
        var decisions: [RetentionDecision] = []
        for (index, backup) in sorted.enumerated() {
            var reasons: [KeepReason] = []
            if let cutoff, let window = policy.keepWithin, backup.time > cutoff {
                reasons.append(.within(window))
            }
            let local = zone.localTime(backup.time)
            for b in buckets.indices where buckets[b].remaining > 0 {
                let value = buckets[b].key(local, index)
                let newBucket = value != buckets[b].last
                if newBucket || index == sorted.count - 1 {
                    buckets[b].last = value
                    buckets[b].remaining -= 1
                    reasons.append(newBucket ? buckets[b].reason : .oldest(buckets[b].reason))
                }
            }
            if index == 0 && reasons.isEmpty { reasons.append(.newest) }
            decisions.append(RetentionDecision(id: backup.id, time: backup.time, reasons: reasons))
        }
        return decisions
    }

    /// The instant after which `keepWithin` keeps backups, measured from the newest backup not
    /// dated after `now`.
    func withinCutoff(_ window: RetentionWindow?, sorted: [(id: String, time: Date)], now: Date) -> Date? {
        guard let window else { return nil }
        guard let latest = sorted.first(where: { $0.time < now })?.time else { return .distantPast }
        return zone.subtractingDays(window.days, from: latest).addingTimeInterval(-Double(window.hours) * 3600)
    }

    private struct Bucket {
        var remaining: Int
        var last = -1
        let reason: KeepReason
        let key: (LocalDateTime, Int) -> Int
    }

    private static func buckets(_ policy: RetentionPolicy) -> [Bucket] {
        let rules: [(Int?, KeepReason, (LocalDateTime, Int) -> Int)] = [
            (policy.keepLast, .last, { _, index in index }),
            (policy.keepHourly, .hourly, { t, _ in ((t.year * 100 + t.month) * 100 + t.day) * 100 + t.hour }),
            (policy.keepDaily, .daily, { t, _ in (t.year * 100 + t.month) * 100 + t.day }),
            (policy.keepWeekly, .weekly, { t, _ in t.isoWeekYear * 100 + t.isoWeek }),
            (policy.keepMonthly, .monthly, { t, _ in t.year * 100 + t.month }),
            (policy.keepYearly, .yearly, { t, _ in t.year }),
        ]
        return rules.compactMap { count, reason, key in count.map { Bucket(remaining: $0, reason: reason, key: key) } }
    }
}
