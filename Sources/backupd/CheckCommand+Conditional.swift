import BackupCore
import BackupKit
import ConfigKit
import S3Kit

extension CheckCommand {
    /// The conditional-write probe's steps for `destination`, added to its report: failures are
    /// errors where a `runOn: "any"` job keeps its claims (its first destination), else warnings.
    func withConditionalProbe(_ report: CheckReport, client: S3Client, destination: DestinationConfig, config: BackupConfig, token: String) async -> CheckReport {
        var report = report
        let required = config.jobs.contains { $0.runOn == .any && $0.destinations.first == destination.name }
        guard report.steps.first.map({ !$0.failed }) ?? false else { return report }
        let probe = ConditionalWriteProbe(client: client, key: ".backupd-check-\(token)/conditional-probe", required: required)
        report.steps += await probe.run().steps
        return report
    }
}
