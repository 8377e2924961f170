import Foundation

/// What a manifest records of a `pg_basebackup` base backup, read from the tar stream as it
/// passed: `backup_label` (start LSN, timeline, start time) and `backup_manifest`'s WAL range
/// (stop LSN). The backup is consistent from its stop LSN on; `BackupManifest.endedAt` (when the
/// last object was stored) bounds its stop time from above.
public struct BaseBackupInfo: Sendable, Hashable, Codable {
    /// `START WAL LOCATION`.
    public var startLSN: LSN
    /// The WAL segment the start LSN is in (`000000010000000000000002`).
    public var startWALFile: String
    /// `START TIMELINE`.
    public var timeline: UInt32
    /// `START TIME`, as PostgreSQL wrote it (`2026-12-07 00:45:00 UTC`).
    public var startTime: String
    /// The end of the WAL the backup needs (`End-LSN` of backup_manifest's WAL range).
    public var stopLSN: LSN
    /// The timeline the backup ended on.
    public var stopTimeline: UInt32

    /// Describes a base backup.
    public init(startLSN: LSN, startWALFile: String, timeline: UInt32, startTime: String, stopLSN: LSN, stopTimeline: UInt32) {
        self.startLSN = startLSN
        self.startWALFile = startWALFile
        self.timeline = timeline
        self.startTime = startTime
        self.stopLSN = stopLSN
        self.stopTimeline = stopTimeline
    }

    /// Reads `backup_label` and the tail of `backup_manifest`; says what is missing otherwise.
    static func parse(label: String, manifestTail: String) -> Result<BaseBackupInfo, BaseBackupParseError> {
        var fields: [String: String] = [:]
        for line in label.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let start = fields["START WAL LOCATION"], let lsnText = start.split(separator: " ").first, let startLSN = LSN(lsnText) else {
            return .failure(.init(detail: "backup_label has no readable START WAL LOCATION"))
        }
        guard let timelineText = fields["START TIMELINE"], let timeline = UInt32(timelineText) else {
            return .failure(.init(detail: "backup_label has no readable START TIMELINE"))
        }
        // "WAL-Ranges": [ { "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" } ]
        guard let range = manifestTail.range(of: "\"WAL-Ranges\"") else {
            return .failure(.init(detail: "backup_manifest has no WAL-Ranges (pg_basebackup 13 or later writes it)"))
        }
        let ranges = manifestTail[range.upperBound...]
        guard let end = Self.quotedValue(after: "\"End-LSN\"", in: ranges).flatMap({ LSN($0) }),
              let stopTimeline = Self.numberValue(after: "\"Timeline\"", in: ranges) else {
            return .failure(.init(detail: "backup_manifest's WAL-Ranges has no readable Timeline and End-LSN"))
        }
        let file = start.split(separator: "(").dropFirst().first.map {
            $0.replacingOccurrences(of: "file ", with: "").replacingOccurrences(of: ")", with: "")
        } ?? startLSN.segmentName(timeline: timeline)
        return .success(BaseBackupInfo(
            startLSN: startLSN, startWALFile: file, timeline: timeline, startTime: fields["START TIME"] ?? "",
            stopLSN: end, stopTimeline: stopTimeline))
    }

    private static func quotedValue(after key: String, in text: Substring) -> String? {
        guard let found = text.range(of: key) else { return nil }
        let rest = text[found.upperBound...].drop { $0 == ":" || $0 == " " }
        guard rest.first == "\"" else { return nil }
        return String(rest.dropFirst().prefix { $0 != "\"" })
    }

    private static func numberValue(after key: String, in text: Substring) -> UInt32? {
        guard let found = text.range(of: key) else { return nil }
        return UInt32(String(text[found.upperBound...].drop { $0 == ":" || $0 == " " }.prefix { $0.isNumber }))
    }
}

/// A base backup's `backup_label` or `backup_manifest` could not be read.
struct BaseBackupParseError: Error, Hashable {
    var detail: String
}
