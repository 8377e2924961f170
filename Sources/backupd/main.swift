import ArgumentParser
import BackupKit

/// The backupd command line: the daemon and the tools to inspect and drive it.
struct Backupd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backupd",
        abstract: "Database backups streamed to S3-compatible storage.",
        version: BackupKit.version,
        subcommands: [ValidateCommand.self, CheckCommand.self, CronCommand.self, HistoryCommand.self, StatusCommand.self])
}
Backupd.main()
