import BackupHistory
import ConfigKit
import Logging

extension BackupRunner {
    /// Why this run's dump of `totalRead` bytes is suspicious against the job's recent good
    /// backups (`ShrinkageRule`), or nil. The backup is stored either way.
    func suspicion(job: JobConfig, totalRead: Int64, logger: Logger) -> String? {
        guard job.suspiciousBelow != nil else { return nil }
        let reason = ShrinkageRule.judge(bytes: totalRead, recent: recentDumpSizes(job), fraction: job.suspiciousBelow)
        if let reason {
            logger.warning(
                "backup is suspicious: stored, but retention keeps the older backups until it is acknowledged",
                metadata: ["backup.suspicious": "\(reason)", "dump.bytes": "\(totalRead)"])
        }
        return reason
    }
}
