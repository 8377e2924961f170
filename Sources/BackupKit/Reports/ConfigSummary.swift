import BackupCore
import ConfigKit
import Cron
import Foundation

/// The human-readable report `backupd validate` prints for a valid config.
public enum ConfigSummary {
    /// Renders destinations and jobs, with each enabled job's next `upcoming` run times after `now`
    /// in the job's own time zone.
    public static func render(_ config: BackupConfig, path: String, now: Date, upcoming: Int = 3) -> String {
        var lines: [String] = []
        lines.append("\(path) is valid: \(count(config.destinations.count, "destination")), \(count(config.jobs.count, "job")).")
        lines.append("")
        lines.append("Destinations:")
        for d in config.destinations {
            let addressing = d.pathStyle ? "path-style" : "virtual-hosted"
            lines.append("  \(d.name): \(d.endpoint.absoluteString) bucket \(d.bucket), region \(d.region), \(addressing)")
            lines.append("    \(d.providerSummary)")
        }
        if config.destinations.isEmpty { lines.append("  (none)") }
        lines.append("")
        lines.append("Jobs:")
        for job in config.jobs {
            let target = job.destinations.map { job.prefix.isEmpty ? "\($0):/" : "\($0):/\(job.prefix)/" }.joined(separator: " and ")
            lines.append("  \(job.name): \(job.engine.rawValue), schedule \"\(job.schedule.text)\" (\(job.timeZone.identifier)), to \(target), compression \(job.compression.rawValue), timeout \(DurationText.format(job.timeout))\(job.tables.map { ", tables: \($0.summary)" } ?? "")\(job.enabled ? "" : ", DISABLED")")
            if job.enabled {
                let times = job.cronSchedule.nextTimes(after: now, count: upcoming).map { job.timeZone.iso8601($0) }
                lines.append("    next runs: \(times.joined(separator: ", "))")
            } else {
                lines.append("    not scheduled (\"enabled\": false); run-now still works")
            }
            lines += retentionLines(job, config: config, now: now)
        }
        if config.jobs.isEmpty { lines.append("  (none)") }
        lines.append("")
        lines.append("History: rows older than \(DurationText.format(config.historyRetention)) are deleted (the newest row of each job is kept).")
        return lines.joined(separator: "\n")
    }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
