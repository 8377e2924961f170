import Foundation

extension FleetJobStatus {
    /// The problem line of a job that is not ok (nil when it is).
    public func problem(time: (Date) -> String) -> String? {
        switch state {
        case .ok, .disabled:
            return nil
        case .never:
            return "\(job): no backup in the bucket from any host"
        case .incomplete:
            return "\(job): the newest backup \(newest?.backupId ?? "?") names objects that are missing or of another size (`backupd verify \(job)`)"
        case .overdue:
            return "\(job): the newest backup (\(newest.map { time($0.startedAt) } ?? "?"), by \(newest?.host ?? "?")) is stale; a newer one was due by \(freshUntil.map(time) ?? "now")"
        case .missed:
            let shown = missedSlots.prefix(5).map(time).joined(separator: ", ")
            let more = missedSlots.count > 5 ? " and \(missedSlots.count - 5) more" : ""
            return "\(job): \(missedSlots.count) slot(s) of the last day have no backup from any host: \(shown)\(more)"
        }
    }

    /// The table `backupd fleet` prints, with problem lines below.
    public static func table(_ statuses: [FleetJobStatus], time: (Date) -> String) -> String {
        var rows = [["JOB", "NEWEST BACKUP", "HOST", "FENCING", "OBJECTS", "MISSED (24H)", "STATE"]]
        for s in statuses {
            rows.append([
                s.job, s.newest.map { time($0.startedAt) } ?? "never", s.newest?.host ?? "-", s.newest?.claim.map { String($0.fencing) } ?? "-",
                s.objectsPresent.map { $0 ? "present" : "MISSING" } ?? "-", String(s.missedSlots.count),
                s.isOK ? s.state.rawValue : s.state.rawValue.uppercased(),
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines = rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }.joined()
        }
        let problems = statuses.compactMap { $0.problem(time: time) }
        if !problems.isEmpty { lines += [""] + problems }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The statuses as Prometheus text: the newest backup's end time per job (jobs without one are left out).
    public static func metrics(_ statuses: [FleetJobStatus]) -> String {
        var text = "# HELP backupd_fleet_newest_backup_timestamp_seconds When the newest backup of the job in its bucket ended, from any host.\n"
        text += "# TYPE backupd_fleet_newest_backup_timestamp_seconds gauge\n"
        for status in statuses {
            guard let newest = status.newest else { continue }
            text += "backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"\(Self.labelValue(status.job))\"} \(Int64(newest.endedAt.timeIntervalSince1970))\n"
        }
        text += "# HELP backupd_fleet_missed_slots Slots of the last day with no backup from any host.\n"
        text += "# TYPE backupd_fleet_missed_slots gauge\n"
        for status in statuses {
            text += "backupd_fleet_missed_slots{backup_job=\"\(Self.labelValue(status.job))\"} \(status.missedSlots.count)\n"
        }
        return text
    }

    /// A Prometheus label value with `\`, `"` and newlines escaped.
    static func labelValue(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The statuses as JSON: one object per job.
    public static func json(_ statuses: [FleetJobStatus]) -> String {
        let iso = ISO8601DateFormatter()
        let jobs: [[String: Any]] = statuses.map { s in
            var object: [String: Any] = [
                "job": s.job, "state": s.state.rawValue, "ok": s.isOK, "missedSlots": s.missedSlots.map { iso.string(from: $0) },
            ]
            if let newest = s.newest {
                var backup: [String: Any] = [
                    "backupId": newest.backupId, "host": newest.host, "startedAt": iso.string(from: newest.startedAt),
                    "endedAt": iso.string(from: newest.endedAt), "objectsPresent": s.objectsPresent ?? false,
                ]
                if let claim = newest.claim { backup["slot"] = claim.slot; backup["fencing"] = claim.fencing }
                object["newest"] = backup
            }
            if let freshUntil = s.freshUntil { object["freshUntil"] = iso.string(from: freshUntil) }
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["jobs": jobs], options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
