extension HistoryRenderer {
    /// The lanes a run's output lists (`docs/json.md`): every lane recorded, one per destination,
    /// whatever their number (runs from before lanes were recorded have none).
    static func shownLanes(_ lanes: [DestinationOutcome]?) -> [DestinationOutcome] {
        lanes ?? []
    }

    /// The table row under a run for one of its destinations: `  -> NAME`, its status, size and key or error.
    static func destinationRow(_ outcome: DestinationOutcome) -> [String] {
        let detail = outcome.status == .succeeded
            ? outcome.objectKey ?? ""
            : outcome.error?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return ["", "  -> \(outcome.destination)", "", outcome.status.rawValue, "", outcome.bytesStored.map(size) ?? "-", detail]
    }

    /// A JSON array of destination results, keys in a fixed order.
    static func destinationsJSON(_ outcomes: [DestinationOutcome]) -> String {
        let items = outcomes.map { outcome in
            let fields: [(String, String)] = [
                ("destination", jsonString(outcome.destination)),
                ("bucket", outcome.bucket.map(jsonString) ?? "null"),
                ("status", jsonString(outcome.status.rawValue)),
                ("objectKey", outcome.objectKey.map(jsonString) ?? "null"),
                ("bytesStored", outcome.bytesStored.map(String.init) ?? "null"),
                ("sha256", outcome.sha256.map(jsonString) ?? "null"),
                ("error", outcome.error.map(jsonString) ?? "null"),
            ]
            return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        return "[" + items.joined(separator: ", ") + "]"
    }
}
