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
            return "\(job): the newest backup (\(newest.map { time($0.startedAt) } ?? "?"), by \(newest?.host ?? "?") on \(newestDestination ?? "?")) is stale; a newer one was due by \(freshUntil.map(time) ?? "now")"
        case .missed:
            let shown = missedSlots.prefix(5).map(time).joined(separator: ", ")
            let more = missedSlots.count > 5 ? " and \(missedSlots.count - 5) more" : ""
            return "\(job): \(missedSlots.count) slot(s) of the last day have no backup from any host: \(shown)\(more)"
        }
    }

    /// The table `backupd fleet` prints, with problem lines below.
    public static func table(_ statuses: [FleetJobStatus], time: (Date) -> String) -> String {
        var rows = [["JOB", "NEWEST BACKUP", "HOST", "DESTINATION", "FENCING", "OBJECTS", "MISSED (24H)", "STATE"]]
        for s in statuses {
            rows.append([
                s.job, s.newest.map { time($0.startedAt) } ?? "never", s.newest?.host ?? "-", s.newestDestination ?? "-",
                s.newest?.claim.map { String($0.fencing) } ?? "-",
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

    /// One gauge family of the fleet metrics: name, help and samples (labels, value).
    public struct MetricFamily: Sendable {
        /// The metric's name.
        public var name: String
        /// Its help text.
        public var help: String
        /// Its samples.
        public var samples: [(labels: [(String, String)], value: Double)]
    }

    /// The fleet gauges of `statuses`, shared by `backupd fleet --prometheus` and the daemon's
    /// `/metrics`: the newest backup's end time per job (from any host, on any destination; jobs
    /// without one are left out), the same per destination, and the slots of the last day missed.
    public static func metricFamilies(_ statuses: [FleetJobStatus]) -> [MetricFamily] {
        var newest = MetricFamily(
            name: "backupd_fleet_newest_backup_timestamp_seconds",
            help: "When the newest backup of the job in its buckets ended, from any host, on any of its destinations.", samples: [])
        var byDestination = MetricFamily(
            name: "backupd_fleet_destination_newest_backup_timestamp_seconds",
            help: "When the newest backup of the job at the destination ended, from any host.", samples: [])
        var missed = MetricFamily(name: "backupd_fleet_missed_slots", help: "Slots of the last day with no backup from any host on any destination.", samples: [])
        for status in statuses {
            let job = ("backup_job", status.job)
            if let manifest = status.newest { newest.samples.append(([job], manifest.endedAt.timeIntervalSince1970.rounded(.down))) }
            for (destination, ended) in status.newestByDestination.sorted(by: { $0.key < $1.key }) {
                byDestination.samples.append(([job, ("destination", destination)], ended.timeIntervalSince1970.rounded(.down)))
            }
            missed.samples.append(([job], Double(status.missedSlots.count)))
        }
        return [newest, byDestination, missed]
    }

    /// The statuses as Prometheus text (`metricFamilies`), whole seconds.
    public static func metrics(_ statuses: [FleetJobStatus]) -> String {
        var text = ""
        for family in metricFamilies(statuses) {
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) gauge\n"
            for sample in family.samples {
                let labels = sample.labels.map { "\($0.0)=\"\(Self.labelValue($0.1))\"" }.joined(separator: ",")
                text += "\(family.name){\(labels)} \(Int64(sample.value))\n"
            }
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
                if let destination = s.newestDestination { backup["destination"] = destination }
                object["newest"] = backup
            }
            if let freshUntil = s.freshUntil { object["freshUntil"] = iso.string(from: freshUntil) }
            object["newestByDestination"] = s.newestByDestination.mapValues { iso.string(from: $0) }
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["jobs": jobs], options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
