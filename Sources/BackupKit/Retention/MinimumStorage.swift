import ConfigKit
import Foundation

/// Providers that bill every object for a minimum time, so deleting it earlier saves nothing.
public enum MinimumStorage {
    /// The minimum storage duration a destination's provider bills, if any (its provider profile).
    public static func duration(for destination: DestinationConfig) -> (provider: String, days: Int)? {
        guard let days = destination.providerProfile.minimumStorageDays else { return nil }
        return (destination.provider == .wasabi ? "Wasabi" : destination.provider.rawValue, days)
    }

    /// The age of the youngest backup `job`'s policy would delete within `days`, simulating its
    /// schedule's runs over the last `days` (the newest `limit` of them for very frequent
    /// schedules); nil when it deletes none that young.
    public static func youngestDeletion(job: JobConfig, days: Int, now: Date, limit: Int = 50_000) -> TimeInterval? {
        guard let policy = job.retention else { return nil }
        let window = Double(days) * 86_400
        var times = runs(of: job, from: now.addingTimeInterval(-window - 86_400), to: now, limit: limit)
        if times.count >= limit, let first = times.first, let last = times.last {
            // Too many runs: simulate the newest `limit` of them instead of the oldest.
            times = runs(of: job, from: now.addingTimeInterval(-last.timeIntervalSince(first)), to: now, limit: limit)
        }
        let planned = RetentionPlanner(policy: policy, zone: job.timeZone)
            .plan(times.map { (id: ObjectName.timestamp($0), time: $0) }, now: now)
        let young = planned.filter { !$0.keep && now.timeIntervalSince($0.time) < window }
        return young.map { now.timeIntervalSince($0.time) }.min()
    }

    /// The job's scheduled times after `start` up to `end`, at most `limit`.
    private static func runs(of job: JobConfig, from start: Date, to end: Date, limit: Int) -> [Date] {
        var times: [Date] = []
        var cursor = start
        while times.count < limit {
            let wanted = min(500, limit - times.count)
            let batch = job.cronSchedule.nextTimes(after: cursor, count: wanted).filter { $0 <= end }
            times += batch
            guard batch.count == wanted, let last = batch.last else { break }
            cursor = last
        }
        return times
    }
}
