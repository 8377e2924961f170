import ArgumentParser
import BackupKit

/// The backupd command line: the daemon and the tools to inspect and drive it.
@main
struct Backupd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backupd",
        abstract: "Database backups streamed to S3-compatible storage.",
        version: BuildInfo.versionLine,
        subcommands: [
            RunCommand.self, ValidateCommand.self, CheckCommand.self, CronCommand.self, RunNowCommand.self, RestoreCommand.self,
            ListCommand.self, HistoryCommand.self, StatusCommand.self, VerifyCommand.self, PruneCommand.self,
            AckCommand.self, WalPushCommand.self, WalFetchCommand.self, FleetCommand.self,
        ])
}
