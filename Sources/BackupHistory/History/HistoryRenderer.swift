import Foundation
import Glibc

/// Renders history rows for `backupd history`: a readable table or JSON. Pure functions.
public enum HistoryRenderer {
    /// A table with a header: time (via `time`, e.g. the configured zone), job, trigger, status,
    /// duration, stored size, and the object key (success) or the error's first line.
    /// A run with several lanes (`destinations`, by run id) gets one indented line per lane below it.
    public static func table(
        _ runs: [RunRecord], destinations: [Int64: [DestinationOutcome]] = [:], time: (Date) -> String = utcTimestamp
    ) -> String {
        withoutActuallyEscaping(time) { time in table(runs, destinations: destinations, zone: { _ in time }) }
    }

    /// The table with each run's time written by `zone(job)` (its job's own time zone).
    public static func table(
        _ runs: [RunRecord], destinations: [Int64: [DestinationOutcome]] = [:], zone: (String) -> (Date) -> String
    ) -> String {
        guard !runs.isEmpty else { return "no runs recorded\n" }
        let header = ["TIME", "JOB", "TRIGGER", "STATUS", "DURATION", "SIZE", "OBJECT / ERROR"]
        var rows = [header]
        for run in runs {
            rows.append([
                zone(run.job)(run.startedAt),
                oneLine(run.job),
                run.trigger.rawValue,
                run.status.rawValue + (run.isSuspicious ? " SUSPICIOUS" : run.suspicious != nil ? " (suspicious, acknowledged)" : ""),
                run.status == .running ? "-" : run.duration.map(duration) ?? "-",
                run.bytesStored.map(size) ?? "-",
                detail(run),
            ])
            for outcome in shownLanes(destinations[run.id]) { rows.append(destinationRow(outcome)) }
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        var output = ""
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - cell.count + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            output += line + "\n"
        }
        return output
    }

    /// A JSON array with one object per run, every key always present (null when unknown), keys
    /// in a fixed order, times in UTC ISO 8601 with milliseconds, durations in seconds.
    /// `destinations` (by run id) adds a `destinations` array to the runs with several lanes.
    public static func json(_ runs: [RunRecord], destinations: [Int64: [DestinationOutcome]] = [:]) -> String {
        guard !runs.isEmpty else { return "[]\n" }
        let objects = runs.map { run in
            var fields: [(String, String)] = [
                ("id", String(run.id)),
                ("job", string(run.job)),
                ("trigger", string(run.trigger.rawValue)),
                ("status", string(run.status.rawValue)),
                ("scheduledAt", run.scheduledAt.map { string(utcTimestamp($0, milliseconds: true)) } ?? "null"),
                ("startedAt", string(utcTimestamp(run.startedAt, milliseconds: true))),
                ("endedAt", run.endedAt.map { string(utcTimestamp($0, milliseconds: true)) } ?? "null"),
                ("durationSeconds", run.duration.map { "\(Double((($0) * 1000).rounded()) / 1000)" } ?? "null"),
                ("bytesRead", run.bytesRead.map(String.init) ?? "null"),
                ("bytesStored", run.bytesStored.map(String.init) ?? "null"),
                ("objectKey", run.objectKey.map(string) ?? "null"),
                ("sha256", run.sha256.map(string) ?? "null"),
                ("uploadId", run.uploadID.map(string) ?? "null"),
                ("destination", run.destination.map(string) ?? "null"),
                ("bucket", run.bucket.map(string) ?? "null"),
                ("exitStatus", run.exitStatus.map { String($0) } ?? "null"),
                ("error", run.error.map(string) ?? "null"),
                ("stderrTail", run.stderrTail.map(string) ?? "null"),
                ("suspicious", run.suspicious.map(string) ?? "null"),
                ("acknowledgedAt", run.acknowledgedAt.map { string(utcTimestamp($0, milliseconds: true)) } ?? "null"),
            ]
            let lanes = shownLanes(destinations[run.id])
            if !lanes.isEmpty { fields.append(("destinations", destinationsJSON(lanes))) }
            return "  {" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// `2023-11-14T22:13:20Z` (with `.250` before the Z when `milliseconds`).
    public static func utcTimestamp(_ date: Date) -> String { utcTimestamp(date, milliseconds: false) }

    /// UTC ISO 8601, optionally with milliseconds.
    public static func utcTimestamp(_ date: Date, milliseconds: Bool) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(totalMilliseconds >= 0 ? totalMilliseconds / 1000 : (totalMilliseconds - 999) / 1000)
        let fraction = Int(totalMilliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if milliseconds {
            text += "." + String(String(fraction + 1000).dropFirst())
        }
        return text + "Z"
    }

    /// `0.4s`, `42s`, `4m 05s`, `2h 03m`, `3d 04h`.
    static func duration(_ seconds: TimeInterval) -> String {
        let seconds = max(0, seconds)
        if seconds < 10 { return "\(Double((seconds * 10).rounded(.down)) / 10)s" }
        let whole = Int(seconds)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m \(two(whole % 60))s" }
        if whole < 86_400 { return "\(whole / 3600)h \(two(whole % 3600 / 60))m" }
        return "\(whole / 86_400)d \(two(whole % 86_400 / 3600))h"
    }

    /// `512 B`, `1.5 KiB`, `20.0 MiB`, `3.2 GiB`, `1.1 TiB`.
    package static func size(_ bytes: Int64) -> String {
        guard bytes >= 1024 else { return "\(max(0, bytes)) B" }
        var value = Double(bytes)
        var unit = "B"
        for next in ["KiB", "MiB", "GiB", "TiB", "PiB"] where value >= 1024 {
            value /= 1024
            unit = next
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(unit)"
    }

    /// The object key for a success, else the first line of the error (or the key while running).
    private static func detail(_ run: RunRecord) -> String {
        switch run.status {
        case .succeeded, .running:
            return oneLine((run.objectKey ?? "") + (run.isSuspicious ? " (\(run.suspicious ?? "")); `backupd ack` it once checked" : ""))
        case .failed, .skipped, .interrupted, .partial, .claimed:
            let firstLine = run.error?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return oneLine(firstLine)
        }
    }

    /// Replaces control characters so that a cell cannot break the table's lines or columns.
    package static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    /// A JSON string literal.
    package static func jsonString(_ text: String) -> String { string(text) }

    private static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
