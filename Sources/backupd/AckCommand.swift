import ArgumentParser
import BackupKit
import Foundation

/// `backupd ack JOB BACKUP_ID`: an operator has checked a suspicious backup (far smaller than its
/// recent peers) and accepts it; from now on it counts as a normal backup for retention, the
/// shrinkage median, `status` and the metrics.
struct AckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack", abstract: "Acknowledge a suspicious backup, so that it counts as a normal one.",
        discussion: """
            A backup whose dump is smaller than the job's suspiciousBelow fraction of the median of its last five good \
            backups is stored but marked suspicious: retention keeps it as an extra and keeps the older backups, and \
            `backupd status` reports the job as SUSPICIOUS. Once you have checked it (`backupd verify JOB BACKUP_ID`, \
            a restore), acknowledge it here; the next prune then applies the policy as usual. The history records when.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.")
    var job: String

    @Argument(help: "The suspicious backup's id (as `backupd history JOB` and `backupd status` show it).")
    var backupID: String

    func run() throws {
        let config = try options.loadConfig(secrets: .none)
        _ = try requireJob(job, in: config, path: options.config)
        do {
            let done = try SuspicionAcknowledgement.acknowledge(job: job, backupID: backupID, config: config, at: Date())
            print("acknowledged \(backupID) (run \(done.runID), \(done.reason)); retention counts it as a normal backup from the next prune")
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
