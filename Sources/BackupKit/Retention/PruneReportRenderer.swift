import ConfigKit
import Cron
import Foundation

/// The table `backupd prune` prints: every backup with keep or delete and the rules that keep it,
/// then the incomplete backups and what happened, the stored backups whose manifest is missing,
/// the strangers, and why nothing was deleted when the history and the listing disagree.
public enum PruneReportRenderer {
    /// Renders `report` with times in `zone`.
    public static func render(_ report: PruneReport, policy: RetentionPolicy?, zone: ZoneRules) -> String {
        let plan = report.plan
        var lines: [String] = []
        let title = report.dryRun ? "\(plan.job) (dry run, nothing is deleted)" : plan.job
        lines.append("\(title): \(policy?.explanation ?? "no retention policy, every backup is kept")")
        let failures = Dictionary(report.records.filter { $0.outcome != .deleted }.map { ($0.backupID, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [[String]] = [["BACKUP", "TAKEN (\(zone.identifier))", "DECISION"]]
        for entry in plan.entries {
            var decision = entry.decision.summary
            if !entry.decision.keep, let failure = failures[entry.backup.id] {
                decision = "delete FAILED: \(failure.error ?? failure.outcome.rawValue)"
            } else if !entry.decision.keep, plan.withheld != nil {
                decision = "delete (withheld)"
            }
            rows.append([entry.backup.id, zone.iso8601(entry.backup.time), decision])
        }
        for backup in plan.staleIncomplete {
            let failure = failures[backup.id]
            let planned = plan.withheld == nil ? "incomplete, delete" : "incomplete, delete (withheld)"
            rows.append([backup.id, zone.iso8601(backup.time), failure.map { "incomplete, delete FAILED: \($0.error ?? "")" } ?? planned])
        }
        for backup in plan.manifestMissing {
            rows.append([backup.id, zone.iso8601(backup.time), PrunePlan.manifestMissingSummary])
        }
        for backup in plan.pendingIncomplete {
            rows.append([backup.id, zone.iso8601(backup.time), "incomplete, keep (may still be running)"])
        }
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append("  " + row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + row[1].padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  " + row[2])
        }
        for key in plan.strangers {
            lines.append("  \(key)  stranger (not a backup name), never deleted")
        }
        if let withheld = plan.withheld { lines.append(withheld) }
        if let wal = report.wal { lines += walLines(wal, dryRun: report.dryRun, zone: zone) }
        let kept = plan.entries.filter(\.decision.keep).count
        let dropped = plan.deletions.count
        if report.dryRun {
            lines.append("\(kept) kept, \(dropped) would be deleted")
        } else {
            lines.append("\(kept) kept, \(dropped) deleted (\(report.deleted.count) objects), \(report.refused.count) objects refused")
        }
        return lines.joined(separator: "\n")
    }

    /// A PITR job's WAL retention: the cutoff, how many WAL files go and stay, and the recovery window.
    static func walLines(_ wal: WALRetentionPlan, dryRun: Bool, zone: ZoneRules) -> [String] {
        var lines: [String] = []
        for key in wal.strangers { lines.append("  \(key)  stranger (not a WAL file name), never deleted") }
        if let withheld = wal.withheld {
            lines.append("WAL: \(withheld)")
            return lines
        }
        let verb = dryRun ? "would be deleted" : "deleted"
        lines.append("WAL: \(wal.deletions.count) file(s) older than \(wal.cutoff ?? "?") (the start of the oldest kept base backup) \(verb), \(wal.kept) kept")
        if let window = wal.windowText(zone: { zone.iso8601($0) }) { lines.append(window) }
        return lines
    }
}
