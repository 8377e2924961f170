import BackupHistory
import Foundation

/// `backupd list` without a job: every job's newest backups at each of its destinations, with
/// their verification, retention decision and suspicion, in one table or one JSON document.
public struct CatalogOverview: Sendable {
    /// One job at one destination.
    public struct Section: Sendable {
        /// The job's name.
        public var job: String
        /// The destination's name.
        public var destination: String
        /// How many complete backups the destination holds for the job (nil when it could not be listed).
        public var count: Int?
        /// The newest backups, newest first.
        public var backups: [Backup]
        /// Why the destination could not be listed.
        public var error: String?

        /// Describes one job at one destination.
        public init(job: String, destination: String, count: Int?, backups: [Backup], error: String? = nil) {
            self.job = job
            self.destination = destination
            self.count = count
            self.backups = backups
            self.error = error
        }
    }

    /// One backup of a section.
    public struct Backup: Sendable {
        /// The catalog entry (from the manifest).
        public var entry: CatalogEntry
        /// Its last verification, if any.
        public var verification: VerificationRecord?
        /// What retention decides (`keep (last)`, `delete`), nil when the job has no policy there.
        public var retention: String?
        /// Whether the history holds an acknowledgement of its suspicion.
        public var acknowledged: Bool

        /// Describes one backup.
        public init(entry: CatalogEntry, verification: VerificationRecord?, retention: String?, acknowledged: Bool) {
            self.entry = entry
            self.verification = verification
            self.retention = retention
            self.acknowledged = acknowledged
        }

        /// `never`, `passed`, `digests` (content not checked) or `failed`.
        public var verificationState: String {
            guard let verification else { return "never" }
            return verification.passed ? (verification.contentChecked ? "passed" : "digests") : "failed"
        }

        /// The suspicion not yet acknowledged.
        public var suspicious: Bool { entry.manifest?.suspicious != nil && !acknowledged }
    }

    /// The sections, in config order.
    public var sections: [Section]

    /// The overview of `sections`.
    public init(sections: [Section]) { self.sections = sections }

    /// Whether every destination could be listed.
    public var complete: Bool { sections.allSatisfy { $0.error == nil } }

    /// A table: job, destination, position (`1/12`), time (via `time`), size, verification,
    /// retention, backup id (`SUSPICIOUS` when unacknowledged); one line for a job without
    /// backups or whose destination cannot be listed.
    public func table(time: (Date) -> String) -> String {
        var rows = [["JOB", "DESTINATION", "#", "TIME", "SIZE", "VERIFIED", "RETENTION", "BACKUP"]]
        for section in sections {
            if let error = section.error {
                rows.append([section.job, section.destination, "-", "-", "-", "-", "-", "cannot list: " + HistoryRenderer.oneLine(error)])
                continue
            }
            if section.backups.isEmpty {
                rows.append([section.job, section.destination, "0", "-", "-", "-", "-", "no backups yet"])
            }
            for (index, backup) in section.backups.enumerated() {
                let entry = backup.entry
                let verified = backup.verification.map { "\(backup.verificationState) \(time($0.endedAt))" } ?? "never"
                let suspicion = entry.manifest?.suspicious == nil ? "" : backup.acknowledged ? " (suspicious, acknowledged)" : " SUSPICIOUS"
                rows.append([
                    section.job, section.destination, "\(index + 1)/\(section.count ?? 0)", time(entry.time),
                    HistoryRenderer.size(entry.manifest?.totalSize ?? entry.size), verified, backup.retention ?? "keep (no policy)",
                    entry.id + suspicion,
                ])
            }
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// `list --json` without a job (docs/json.md): `{complete, jobs: [...]}`.
    public var json: JSONOutput {
        .object([
            ("complete", .bool(complete)),
            ("jobs", .array(sections.map { section in
                .object([
                    ("job", .string(section.job)), ("destination", .string(section.destination)),
                    ("count", .int(section.count.map(Int64.init))), ("error", .string(section.error)),
                    ("backups", .array(section.backups.map(\.json))),
                ])
            })),
        ])
    }
}

extension CatalogOverview.Backup {
    fileprivate var json: JSONOutput {
        .object([
            ("id", .string(entry.id)), ("time", .time(entry.time)), ("manifestKey", .string(entry.manifestKey)),
            ("size", .int(entry.manifest?.totalSize ?? entry.size)), ("compression", .string(entry.manifest?.compression)),
            ("verification", .string(verificationState)), ("verifiedAt", .time(verification?.endedAt)),
            ("retention", .string(retention)), ("suspicious", .string(entry.manifest?.suspicious)),
            ("acknowledged", .bool(acknowledged)),
        ])
    }
}
