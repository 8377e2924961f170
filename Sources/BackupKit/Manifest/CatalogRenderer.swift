import BackupCore
import BackupHistory
import ConfigKit
import Foundation

/// Renders a job's catalog for `backupd list`: a table or JSON, newest first, with each
/// backup's last verification. Pure functions.
public enum CatalogRenderer {
    /// A table: time (via `time`), size, objects, compression, short SHA-256, last verification,
    /// what retention decides (when `retention`, by backup id, is not empty), backup id (marked
    /// `(partial: ...)` when a `tables` selection left tables or rows out, `SUSPICIOUS` when its
    /// manifest says so and `acknowledged` does not hold its id). Within `width` (a terminal's),
    /// the least useful columns go first (objects, compression, SHA-256, then verification and
    /// retention) so that the backup id stays whole; what is still too wide is cut by `TerminalFit`.
    public static func table(
        _ entries: [CatalogEntry], verifications: [String: VerificationRecord], retention: [String: String] = [:],
        acknowledged: Set<String> = [], width: Int? = nil, time: (Date) -> String = HistoryRenderer.utcTimestamp
    ) -> String {
        let header = ["TIME", "SIZE", "OBJECTS", "COMPRESSION", "SHA256", "VERIFIED"] + (retention.isEmpty ? [] : ["RETENTION"]) + ["BACKUP"]
        var rows = [header]
        for entry in entries {
            let manifest = entry.manifest
            let decision = retention.isEmpty ? [] : [retention[entry.id] ?? "-"]
            rows.append([
                time(entry.time),
                HistoryRenderer.size(manifest?.totalSize ?? entry.size),
                String(manifest?.objects.count ?? entry.objects.count),
                manifest?.compression ?? "-",
                manifest?.primary.map { String($0.digest.prefix(12)) } ?? "-",
                verified(verifications[entry.id], time: time),
            ] + decision + [
                entry.id + (entry.state == .complete ? "" : " (\(entry.state.rawValue))")
                    + (manifest?.tables.map { " (partial: \($0.summary))" } ?? "")
                    + (manifest?.suspicious == nil ? "" : acknowledged.contains(entry.id) ? " (suspicious, acknowledged)" : " SUSPICIOUS"),
            ])
        }
        var text = layout(rows)
        guard let width else { return text }
        for dropped in ["OBJECTS", "COMPRESSION", "SHA256", "VERIFIED", "RETENTION"] {
            guard text.split(separator: "\n").contains(where: { $0.count > width }) else { break }
            guard let column = rows[0].firstIndex(of: dropped) else { continue }
            rows = rows.map { row in var row = row; row.remove(at: column); return row }
            text = layout(rows)
        }
        return TerminalFit.fit(text, width: width)
    }

    /// `rows` in aligned columns, two spaces apart; the last column is not padded.
    private static func layout(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// The strangers (objects under the job's prefix that are no backup name) as a section after
    /// the table: empty when there are none.
    public static func strangers(_ objects: [StoredObject]) -> String {
        guard !objects.isEmpty else { return "" }
        return "\nstrangers (not backup names; prune never deletes them):\n"
            + objects.map { "  \($0.key)  \(HistoryRenderer.size($0.size))\n" }.joined()
    }

    /// One JSON object per backup (every key present, null when unknown), then one per stranger
    /// (`state` "stranger", `id` its key, its one object). `suspicious` holds the manifest's reason
    /// (null when not suspicious), `acknowledged` whether the history holds an acknowledgement of it.
    public static func json(
        _ entries: [CatalogEntry], verifications: [String: VerificationRecord], strangers: [StoredObject] = [],
        acknowledged: Set<String> = []
    ) throws -> String {
        struct Row: Encodable {
            var id: String
            var time: Date?
            var state: String
            var manifestKey: String?
            var size: Int64
            var objects: [Object]
            var compression: String?
            var sha256: String?
            var problem: String?
            var lastVerification: Verification?
            var tables: TableSelection?
            var suspicious: String?
            var acknowledged: Bool

            struct Object: Encodable {
                var key: String
                var size: Int64
                var sha256: String?

                func encode(to encoder: any Encoder) throws {
                    enum Keys: String, CodingKey { case key, size, sha256 }
                    var c = encoder.container(keyedBy: Keys.self)
                    try c.encode(key, forKey: .key)
                    try c.encode(size, forKey: .size)
                    try c.encode(sha256, forKey: .sha256)
                }
            }

            func encode(to encoder: any Encoder) throws {
                enum Keys: String, CodingKey {
                    case id, time, state, manifestKey, size, objects, compression, sha256, problem, lastVerification, tables
                    case suspicious, acknowledged
                }
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(id, forKey: .id)
                try c.encode(time, forKey: .time)
                try c.encode(state, forKey: .state)
                try c.encode(manifestKey, forKey: .manifestKey)
                try c.encode(size, forKey: .size)
                try c.encode(objects, forKey: .objects)
                try c.encode(compression, forKey: .compression)
                try c.encode(sha256, forKey: .sha256)
                try c.encode(problem, forKey: .problem)
                try c.encode(lastVerification, forKey: .lastVerification)
                try c.encode(tables, forKey: .tables)
                try c.encode(suspicious, forKey: .suspicious)
                try c.encode(acknowledged, forKey: .acknowledged)
            }
        }
        let rows = entries.map { entry in
            let digests = Dictionary(
                (entry.manifest?.objects ?? []).flatMap { $0.pieces.map { ($0.key, $0.digest) } }, uniquingKeysWith: { a, _ in a })
            return Row(
                id: entry.id, time: entry.time, state: entry.state.rawValue, manifestKey: entry.manifestKey,
                size: entry.manifest?.totalSize ?? entry.size,
                objects: entry.objects.map { Row.Object(key: $0.key, size: $0.size, sha256: digests[$0.key]) },
                compression: entry.manifest?.compression, sha256: entry.manifest?.primary?.digest, problem: entry.problem,
                lastVerification: verifications[entry.id].map(Verification.init), tables: entry.manifest?.tables, suspicious: entry.manifest?.suspicious,
                acknowledged: entry.manifest?.suspicious != nil && acknowledged.contains(entry.id))
        } + strangers.map { object in
            Row(
                id: object.key, time: nil, state: "stranger", manifestKey: nil, size: object.size,
                objects: [Row.Object(key: object.key, size: object.size, sha256: nil)], compression: nil, sha256: nil,
                problem: "not a backup name: prune never deletes it", lastVerification: nil, tables: nil, suspicious: nil,
                acknowledged: false)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
    }

    /// A verification as `list --json` shows it: camelCase (`backupId`), every key present.
    private struct Verification: Encodable {
        let record: VerificationRecord

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey {
                case id, job, backupId, manifestKey, destination, trigger, startedAt, endedAt, passed, contentChecked
                case bytesRead, objects, drillDatabase, drillTables, drillRows, error
            }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(record.id, forKey: .id)
            try c.encode(record.job, forKey: .job)
            try c.encode(record.backupID, forKey: .backupId)
            try c.encode(record.manifestKey, forKey: .manifestKey)
            try c.encode(record.destination, forKey: .destination)
            try c.encode(record.trigger.rawValue, forKey: .trigger)
            try c.encode(record.startedAt, forKey: .startedAt)
            try c.encode(record.endedAt, forKey: .endedAt)
            try c.encode(record.passed, forKey: .passed)
            try c.encode(record.contentChecked, forKey: .contentChecked)
            try c.encode(record.bytesRead, forKey: .bytesRead)
            try c.encode(record.objects, forKey: .objects)
            try c.encode(record.drillDatabase, forKey: .drillDatabase)
            try c.encode(record.drillTables, forKey: .drillTables)
            try c.encode(record.drillRows, forKey: .drillRows)
            try c.encode(record.error, forKey: .error)
        }
    }

    private static func verified(_ record: VerificationRecord?, time: (Date) -> String) -> String {
        guard let record else { return "never" }
        if record.couldNotRun { return "not-run " + time(record.endedAt) }
        return (record.passed ? (record.contentChecked ? "passed " : "digests ") : "FAILED ") + time(record.endedAt)
    }
}
