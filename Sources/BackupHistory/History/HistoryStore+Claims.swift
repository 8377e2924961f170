import Foundation

/// Rows of `runOn: "any"` slots that another host of the fleet ran.
extension HistoryStore {
    /// Records that `host` holds the slot `scheduledAt` of `job` (status `claimed`, `claimed by HOST`
    /// in `error`), so this host's history accounts for every slot; returns the row's id.
    public func insertClaimed(job: String, trigger: RunTrigger, scheduledAt: Date, at time: Date, host: String) throws -> Int64 {
        try withDatabase("record a slot of job \(job) claimed by another host") { db in
            let ms = Self.milliseconds(time)
            try db.run(
                """
                INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, ended_ms, status, error)
                VALUES (?, ?, ?, ?, ?, 'claimed', ?)
                """,
                [
                    .text(job), .text(trigger.rawValue), .integer(Self.milliseconds(scheduledAt)), .integer(ms), .integer(ms),
                    .text("claimed by \(host)"),
                ])
            return db.lastInsertRowID
        }
    }
}
