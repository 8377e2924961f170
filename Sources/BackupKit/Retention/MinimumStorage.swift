import Foundation

/// Providers that bill every object for a minimum time, so deleting it earlier saves nothing.
public enum MinimumStorage {
    /// The minimum storage duration a destination's provider bills, if any. Read from the endpoint
    /// host for now; the provider profile should answer this.
    public static func duration(for destination: DestinationConfig) -> (provider: String, days: Int)? {
        guard let host = destination.endpoint.host?.lowercased() else { return nil }
        if host == "wasabisys.com" || host.hasSuffix(".wasabisys.com") { return ("Wasabi", 90) }
        return nil
    }

    /// The age of the youngest backup `job`'s policy would delete within `days`, simulating its
    /// schedule over the last `days` (up to `limit` runs); nil when it deletes none that young.
    public static func youngestDeletion(job: JobConfig, days: Int, now: Date, limit: Int = 50_000) -> TimeInterval? {
        guard let policy = job.retention else { return nil }
        let start = now.addingTimeInterval(-Double(days + 1) * 86_400)
        var times: [Date] = []
        var cursor = start
        while times.count < limit {
            let batch = job.cronSchedule.nextTimes(after: cursor, count: 500).filter { $0 <= now }
            times += batch
            guard batch.count == 500, let last = batch.last else { break }
            cursor = last
        }
        let planned = RetentionPlanner(policy: policy, zone: job.timeZone)
            .plan(times.map { (id: ObjectName.timestamp($0), time: $0) }, now: now)
        let young = planned.filter { !$0.keep && now.timeIntervalSince($0.time) < Double(days) * 86_400 }
        return young.map { now.timeIntervalSince($0.time) }.min()
    }
}
