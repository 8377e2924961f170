import Foundation

extension VerifyReport {
    /// The report as lines for a terminal: a verdict, one line per object, the drill, the problems.
    public func render() -> String {
        let verdict = passed ? (contentChecked ? "verified" : "verified (digests only)") : couldNotRun ? "NOT RUN " : "FAILED  "
        var lines = ["\(verdict) \(backupId) (\(state)): \(objects.count) object\(objects.count == 1 ? "" : "s"), \(bytesRead) bytes read"]
        for object in objects {
            let digest = object.foundSha256.map { String($0.prefix(12)) } ?? "-"
            let layers = (object.encryption.map { [$0] } ?? []) + [object.compression, object.format]
            lines.append("  \(object.passed ? "ok    " : "FAILED") \(object.key)  \(object.foundSize ?? 0) bytes  sha256 \(digest)  \(layers.joined(separator: "  "))")
        }
        if let tables { lines.append("  partial backup (tables: \(tables.summary)): only the selected tables are expected") }
        if let drill, let replayed = drill.replayedTo {
            lines.append(
                "  PITR drill \(drill.passed ? "recovered" : "FAILED") in \(drill.database): \(drill.tables) databases, WAL replayed to \(replayed)"
                    + " in \(String(format: "%.1f", drill.seconds)) s" + (drill.dropped ? ", removed" : ", NOT removed"))
        } else if let drill {
            let outcome = drill.passed ? "restored" : "FAILED"
            lines.append(
                "  drill \(outcome) into \(drill.database): \(drill.tables) tables, \(drill.rows) rows in \(String(format: "%.1f", drill.seconds)) s"
                    + (drill.dropped ? ", dropped" : ", NOT dropped"))
        }
        if let contentSkipped { lines.append("  content not checked: \(contentSkipped)") }
        for problem in allProblems { lines.append("  problem: \(problem)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reports as a JSON array.
    public static func json(_ reports: [VerifyReport]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(reports.map(JSONReport.init)), as: UTF8.self) + "\n"
    }
}

/// A report with its verdict and problems spelled out for JSON readers.
private struct JSONReport: Encodable {
    let report: VerifyReport

    enum Keys: String, CodingKey {
        case job, backupId, manifestKey, state, passed, contentChecked, contentSkipped, objects, drill, startedAt, endedAt, problems
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(report.job, forKey: .job)
        try c.encode(report.backupId, forKey: .backupId)
        try c.encode(report.manifestKey, forKey: .manifestKey)
        try c.encode(report.state, forKey: .state)
        try c.encode(report.passed, forKey: .passed)
        try c.encode(report.contentChecked, forKey: .contentChecked)
        try c.encode(report.contentSkipped, forKey: .contentSkipped)
        try c.encode(report.objects.map(JSONObject.init), forKey: .objects)
        try c.encode(report.drill.map(JSONDrill.init), forKey: .drill)
        try c.encode(report.startedAt, forKey: .startedAt)
        try c.encode(report.endedAt, forKey: .endedAt)
        try c.encode(report.allProblems, forKey: .problems)
    }
}

/// An object's result with every key present (null when unknown), as docs/json.md promises.
private struct JSONObject: Encodable {
    let object: VerifyReport.ObjectResult

    enum Keys: String, CodingKey {
        case key, role, expectedSize, foundSize, expectedSha256, foundSha256, compression, format, encryption, problems
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(object.key, forKey: .key)
        try c.encode(object.role, forKey: .role)
        try c.encode(object.expectedSize, forKey: .expectedSize)
        try c.encode(object.foundSize, forKey: .foundSize)
        try c.encode(object.expectedSha256, forKey: .expectedSha256)
        try c.encode(object.foundSha256, forKey: .foundSha256)
        try c.encode(object.compression, forKey: .compression)
        try c.encode(object.format, forKey: .format)
        try c.encode(object.encryption, forKey: .encryption)
        try c.encode(object.problems, forKey: .problems)
    }
}

/// A restore drill's result with every key present.
private struct JSONDrill: Encodable {
    let drill: DrillResult

    enum Keys: String, CodingKey { case database, tables, rows, seconds, dropped, error, replayedTo }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(drill.database, forKey: .database)
        try c.encode(drill.tables, forKey: .tables)
        try c.encode(drill.rows, forKey: .rows)
        try c.encode(drill.seconds, forKey: .seconds)
        try c.encode(drill.dropped, forKey: .dropped)
        try c.encode(drill.error, forKey: .error)
        // A PITR drill only: where recovery ended.
        try c.encodeIfPresent(drill.replayedTo, forKey: .replayedTo)
    }
}
