import BackupCore
import BackupHistory
import Logging

extension ControlServer.WALPushing {
    /// The same pushing, recording each push's outcome in `history` (the newest file stored, or
    /// the failure and its reason, and the files waiting in `archive_status`) for `status` and the metrics, and calling `failed` with
    /// (job, WAL file name, reason) when archiving starts failing: a push failed after one that
    /// succeeded (or the first push), not at each of PostgreSQL's retries.
    public func recording(
        in history: HistoryStore, clock: any WallClock, logger: Logger, failed: @escaping @Sendable (String, String, String) -> Void = { _, _, _ in }
    ) -> ControlServer.WALPushing {
        let inner = self
        let noteWaiting: @Sendable (String, Int) -> Void = { job, waiting in
            inner.noteWaiting(job, waiting)
            do {
                try history.recordWALWaiting(job: job, waiting: waiting, at: clock.now())
            } catch {
                logger.error("cannot record the WAL files waiting in the history", metadata: ["job.name": "\(job)", "error": "\(error)"])
            }
        }
        return ControlServer.WALPushing(archiveUIDs: inner.archiveUIDs, noteWaiting: noteWaiting, ahead: inner.ahead) { job, name, bytes, uid in
            do {
                let done = try await inner.push(job, name, bytes, uid)
                do {
                    try history.recordWALArchived(job: job, name: name, at: clock.now())
                } catch {
                    logger.error("cannot record the archived WAL file in the history", metadata: ["job.name": "\(job)", "wal.name": "\(name)", "error": "\(error)"])
                }
                return done
            } catch {
                logger.warning("WAL push failed; PostgreSQL keeps the file and retries", metadata: ["job.name": "\(job)", "wal.name": "\(name)", "error": "\(error)"])
                let wasFailing = (try? history.walArchiveStates(jobs: [job])[job]?.isFailing) ?? false
                do {
                    try history.recordWALPushFailure(job: job, name: name, error: "\(error)", at: clock.now())
                } catch let recording {
                    logger.error("cannot record the failed WAL push in the history", metadata: ["job.name": "\(job)", "error": "\(recording)"])
                }
                if !wasFailing { failed(job, name, "\(error)") }
                throw error
            }
        }
    }
}
