import ConfigKit
import Foundation

extension PruneReportRenderer {
    /// One `prune --json` object per job and destination (docs/json.md): every backup with its
    /// decision, reasons and what happened, the incomplete ones, those whose manifest is missing,
    /// the strangers, and why deletions were withheld; `error` when the destination could not be pruned.
    public static func json(job: String, destination: String, policy: RetentionPolicy?, dryRun: Bool, result: Result<PruneReport, PruneError>) -> JSONOutput {
        var fields: [(String, JSONOutput)] = [
            ("job", .string(job)), ("destination", .string(destination)), ("dryRun", .bool(dryRun)),
            ("policy", .string(policy?.explanation ?? "no retention policy, every backup is kept")),
        ]
        let report: PruneReport
        switch result {
        case .failure(let error):
            return .object(fields + [
                ("ok", .bool(false)), ("error", .string("\(error)")), ("backups", .array([])), ("strangers", .array([])),
                ("withheld", .null), ("kept", .int(0)), ("deletedObjects", .int(0)),
            ])
        case .success(let value): report = value
        }
        let plan = report.plan
        let records = Dictionary(grouping: report.records, by: \.backupID)
        func outcome(_ id: String, planned: Bool) -> JSONOutput {
            guard planned else { return .string("kept") }
            if plan.withheld != nil { return .string("withheld") }
            if dryRun { return .string("would-delete") }
            let mine = records[id] ?? []
            if mine.contains(where: { $0.outcome == .refused }) { return .string("delete-failed") }
            return .string(mine.contains { $0.outcome == .deleted } ? "deleted" : "skipped")
        }
        func errors(_ id: String) -> JSONOutput {
            .string((records[id] ?? []).compactMap(\.error).first)
        }
        func row(_ backup: CatalogBackup, state: String, decision: String, reasons: [KeepReason], planned: Bool) -> JSONOutput {
            .object([
                ("id", .string(backup.id)), ("time", .time(backup.time)), ("state", .string(state)),
                ("decision", .string(decision)), ("reasons", .array(reasons.map { .string($0.description) })),
                ("outcome", outcome(backup.id, planned: planned)), ("error", errors(backup.id)),
            ])
        }
        var backups = plan.entries.map { entry in
            row(entry.backup, state: "complete", decision: entry.decision.keep ? "keep" : "delete", reasons: entry.decision.reasons, planned: !entry.decision.keep)
        }
        backups += plan.staleIncomplete.map { row($0, state: "incomplete", decision: "delete", reasons: [], planned: true) }
        backups += plan.pendingIncomplete.map { row($0, state: "incomplete", decision: "keep", reasons: [], planned: false) }
        backups += plan.manifestMissing.map { row($0, state: "manifest-missing", decision: "keep", reasons: [], planned: false) }
        fields += [
            ("ok", .bool(report.refused.isEmpty && plan.withheld == nil)), ("error", .null),
            ("backups", .array(backups)), ("strangers", .array(plan.strangers.map { .string($0) })),
            ("withheld", .string(plan.withheld)),
            ("kept", .int(Int64(plan.entries.filter(\.decision.keep).count))),
            ("deletedObjects", .int(Int64(dryRun ? 0 : report.deleted.count))),
        ]
        return .object(fields)
    }
}
