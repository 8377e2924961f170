import BackupHistory
import ConfigKit
import Foundation
import Glibc

/// `backupd status`: each job's verdict from the history, as a table or JSON.
public struct JobStatusReport: Sendable {
    /// Each job's status, in the config's order.
    public var statuses: [JobStatus]
    /// A note for stderr when there is no history yet.
    public var note: String?

    /// Every enabled job is ok (or running).
    public var allOK: Bool { statuses.allSatisfy(\.isOK) }

    /// Reads the history of `config` (read-only; none yet is a note, not an error) and computes
    /// each job's status at `now`. Throws `.unreadable` when the history exists but cannot be read.
    public static func read(config: BackupConfig, now: Date) throws(CommandHistoryError) -> JobStatusReport {
        let path = CommandHistory.path(config)
        var rows = JobStatusRows()
        var note: String?
        var info = stat()
        if stat(path, &info) == 0 || errno != ENOENT {
            do {
                rows = try HistoryStore(path: path, readOnly: true).statusRows(jobs: config.jobs.map(\.name))
            } catch {
                throw .unreadable(path: path, reason: "\(error)")
            }
        } else {
            note = "note: no history yet at \(path); has the daemon run?"
        }
        return JobStatusReport(statuses: JobStatus.compute(config: config, rows: rows, now: now), note: note)
    }

    /// The JSON document (docs/json.md).
    public var json: String { JobStatus.json(statuses).text }

    /// The table, times in each job's zone, fitted to `width` columns when given.
    public func table(config: BackupConfig, width: Int?) -> String {
        TerminalFit.fit(JobStatus.table(statuses, zone: config.timeWriter(job:)), width: width)
    }
}
