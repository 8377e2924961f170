import BackupHistory
import ConfigKit
import Foundation

/// `backupd ack`: an operator accepts a suspicious backup, so that it counts as a normal one.
public enum SuspicionAcknowledgement {
    /// What was acknowledged.
    public struct Acknowledged: Sendable, Equatable {
        /// The run that stored the backup.
        public var runID: Int64
        /// Why it was suspicious.
        public var reason: String
    }

    /// Records in the config's history that `backupID` of `job` was acknowledged at `time`.
    public static func acknowledge(job: String, backupID: String, config: BackupConfig, at time: Date) throws(AcknowledgeError) -> Acknowledged {
        let history: HistoryStore
        do {
            history = try CommandHistory.writable(config)
        } catch {
            throw .history(error)
        }
        do {
            let run = try history.acknowledge(job: job, backupID: backupID, at: time)
            return Acknowledged(runID: run.id, reason: run.suspicious ?? "suspicious")
        } catch {
            throw .refused(backupID: backupID, reason: "\(error)")
        }
    }
}

/// Why a backup could not be acknowledged; the description is the line `backupd ack` prints.
public enum AcknowledgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The history cannot be opened.
    case history(CommandHistoryError)
    /// The history refused (no such backup, or it is not suspicious).
    case refused(backupID: String, reason: String)

    /// What failed.
    public var description: String {
        switch self {
        case .history(let error): error.description
        case .refused(let backupID, let reason): "cannot acknowledge \(backupID): \(reason)"
        }
    }
}
