import BackupHistory

extension VerificationRecord {
    /// The record of `report`, read from `destination`.
    public init(_ report: VerifyReport, trigger: Trigger, destination: String? = nil) {
        self.init(
            job: report.job, backupID: report.backupId, manifestKey: report.manifestKey, trigger: trigger,
            startedAt: report.startedAt, endedAt: report.endedAt, passed: report.passed, bytesRead: report.bytesRead,
            objects: report.objects.count, drillDatabase: report.drill?.database, drillTables: report.drill?.tables,
            drillRows: report.drill?.rows, error: report.passed ? report.contentSkipped : report.allProblems.joined(separator: "\n"),
            contentChecked: report.contentChecked, destination: destination)
        couldNotRun = report.couldNotRun
    }
}
