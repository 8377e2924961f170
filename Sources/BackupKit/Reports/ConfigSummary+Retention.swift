import ConfigKit
import Foundation

extension ConfigSummary {
    /// The job's retention in words, per destination with the policy that applies there, and a
    /// warning when it deletes backups its provider bills for a minimum time anyway.
    static func retentionLines(_ job: JobConfig, config: BackupConfig, now: Date) -> [String] {
        job.destinations.flatMap {
            destinationRetentionLines(job.only(destination: $0), label: "retention at \($0)", config: config, now: now)
        }
    }

    /// The lines for `job` at its (only) destination.
    private static func destinationRetentionLines(_ job: JobConfig, label: String, config: BackupConfig, now: Date) -> [String] {
        guard let policy = job.retention else { return ["    \(label): none, every backup is kept"] }
        var lines = ["    \(label): \(policy.explanation)"]
        if let destination = config.destination(named: job.destination),
           let minimum = MinimumStorage.duration(for: destination),
           let age = MinimumStorage.youngestDeletion(job: job, days: minimum.days, now: now)
        {
            let shown = age >= 86_400 ? plural(Int(age / 86_400), "day") : age >= 3600 ? plural(Int(age / 3600), "hour") : plural(Int(age / 60), "minute")
            lines.append("    warning: with this schedule the policy deletes backups as young as \(shown), but \(minimum.provider) (\(destination.name)) bills every object for at least \(minimum.days) days, so deleting earlier saves nothing; consider \"keepWithin\": \"\(minimum.days)d\"")
        }
        return lines
    }

    private static func plural(_ n: Int, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }
}
