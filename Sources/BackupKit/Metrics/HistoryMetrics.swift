import BackupHistory
import Foundation

/// What the metrics read from the history at each scrape (and textfile write) rather than keep in
/// memory: verifications are recorded by several processes (`backupd verify`, the daemon's
/// scheduled and after-backup verifier, `restore --verify-first`) and pending aborts are cleared by
/// the sweeper, so the history is where their current state is.
public struct HistoryMetrics: Sendable, Hashable {
    /// Each job's newest verification that ran (passed or failed) per destination ("" for rows
    /// written before destinations were recorded), by job name.
    public var lastVerifications: [String: [String: JobMetrics.Verification]] = [:]
    /// How many multipart uploads wait for their abort, by destination name.
    public var pendingAborts: [String: Int] = [:]
    /// PITR jobs' WAL archive state, by job name (recorded by the daemon at each wal-push).
    public var walArchives: [String: WALArchiveState] = [:]

    /// An empty reading (nothing verified, nothing pending).
    public init(lastVerifications: [String: [String: JobMetrics.Verification]] = [:], pendingAborts: [String: Int] = [:]) {
        self.lastVerifications = lastVerifications
        self.pendingAborts = pendingAborts
    }

    /// The reading of `history` for `jobs`.
    public static func read(from history: HistoryStore, jobs: [String]) throws -> HistoryMetrics {
        var reading = HistoryMetrics()
        for job in jobs {
            var newest: [String: JobMetrics.Verification] = [:]
            for record in try history.lastVerificationResults(job: job) where newest[record.destination ?? ""] == nil {
                newest[record.destination ?? ""] = JobMetrics.Verification(at: record.endedAt, passed: record.passed)
            }
            if !newest.isEmpty { reading.lastVerifications[job] = newest }
        }
        reading.walArchives = try history.walArchiveStates(jobs: jobs)
        for upload in try history.pendingAborts() {
            reading.pendingAborts[upload.destination, default: 0] += 1
        }
        return reading
    }
}
