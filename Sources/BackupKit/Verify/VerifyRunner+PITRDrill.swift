import BackupHistory
import ConfigKit
import Logging

extension VerifyRunner {
    /// Runs the PITR drill of `job` under `parent` into `report` (the daemon, holding no identity,
    /// skips it for an encrypted job whose content it could not check, as for dump drills).
    func drillPITR(
        job: JobConfig, config: BackupConfig, parent: String, identity: String?, trigger: VerificationRecord.Trigger,
        report: inout VerifyReport, logger: Logger
    ) async {
        if !report.contentChecked, trigger != .verify {
            report.contentSkipped = (report.contentSkipped ?? "") + "; the PITR restore drill under \(parent) was skipped"
            return
        }
        guard let command = pitrDrillCommand else {
            report.couldNotVerify = "the PITR restore drill needs the backupd executable and the config file's path"
            return
        }
        report.drill = await PITRDrill(restorer: restorer, command: command, scratch: pitrScratch, clock: clock)
            .run(job: job, config: config, parent: parent, identity: identity, logger: logger)
        report.endedAt = clock.now()
    }
}
