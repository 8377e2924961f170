import BackupHistory
import Logging
import ServiceLifecycle

/// Checks every `interval` that the daemon still owns its state: the state lock (directory and
/// `backupd.lock`, locked again when the file was removed) and the history file it has open.
/// While something is wrong every run is refused (`DaemonStatus.refusal`), and each change is logged once at
/// error priority (a restored lock file each time it happens): a daemon whose lock a newcomer
/// cannot see, or whose history goes nowhere, must not take backups.
struct OwnershipWatchService: Service {
    let status: DaemonStatus
    let history: HistoryStore
    let lock: StateLock?
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        var directoryReplaced: String?
        var current: String?
        while !Task.isCancelled {
            var problems: [String] = []
            switch lock?.check() ?? .intact {
            case .intact:
                break
            case .fileRestored(let detail):
                logger.error("the state lock file was removed or replaced under the running daemon", metadata: [
                    "lock.path": "\(lock?.path ?? "")", "lock.detail": "\(detail)"])
            case .fileHeld(let detail):
                problems.append(detail)
            case .directoryReplaced(let detail):
                directoryReplaced = detail
            }
            // Sticky: the history and control socket went with the old directory.
            if let directoryReplaced {
                problems.append("\(directoryReplaced) while the daemon ran; restart backupd (systemctl restart backupd) to use the new one")
            }
            if let history = history.fileProblem(operation: "record runs") { problems.append(history.description) }
            let problem = problems.isEmpty ? nil : problems.joined(separator: "; ")
            if problem != current {
                status.setRefusal(problem)
                if let problem {
                    logger.error("runs are refused: this daemon no longer owns its state", metadata: ["ownership.problem": "\(problem)"])
                } else {
                    logger.notice("the daemon owns its state again: runs are taken")
                }
                current = problem
            }
            try? await Task.sleep(for: interval)
        }
    }
}
