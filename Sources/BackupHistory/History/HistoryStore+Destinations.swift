import Foundation

extension HistoryStore {
    /// Records each lane's result of a finished run at its position (nothing for an empty list);
    /// their uploads are closed.
    public func recordDestinations(runID: Int64, _ destinations: [DestinationOutcome]) throws {
        guard !destinations.isEmpty else { return }
        try withDatabase("record the destinations of run \(runID)") { db in
            try db.transaction { try Self.writeLanes(db, runID: runID, destinations, keepUploads: false) }
        }
    }

    /// The lanes of `runIDs`, by run id, each in the job's destination order.
    public func destinationResults(runIDs: [Int64]) throws -> [Int64: [DestinationOutcome]] {
        guard !runIDs.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: runIDs.count).joined(separator: ", ")
        let rows = try withDatabase("read the destinations of \(runIDs.count) runs") { db in
            try db.query(
                """
                SELECT run_id, destination, bucket, status, object_key, bytes_stored, sha256, error FROM run_destinations
                WHERE run_id IN (\(placeholders)) ORDER BY run_id, position
                """,
                runIDs.map { .integer($0) }
            ) { row in
                (
                    row.int64(0) ?? 0,
                    DestinationOutcome(
                        destination: row.text(1) ?? "", bucket: row.text(2),
                        status: row.text(3).flatMap(RunStatus.init(rawValue:)) ?? .failed, objectKey: row.text(4),
                        bytesStored: row.int64(5), sha256: row.text(6), error: row.text(7))
                )
            }
        }
        var result: [Int64: [DestinationOutcome]] = [:]
        for (runID, outcome) in rows { result[runID, default: []].append(outcome) }
        return result
    }
}
