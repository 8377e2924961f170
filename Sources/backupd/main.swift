import ArgumentParser
import BackupKit

struct Backupd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backupd", abstract: "Database backups streamed to S3-compatible storage.",
        version: BackupKit.version,
        subcommands: [CronCommand.self])
}
Backupd.main()
