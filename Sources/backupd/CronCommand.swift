import ArgumentParser

/// `backupd cron …`: explains cron expressions the way the scheduler reads them.
struct CronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron", abstract: "Explain cron expressions",
        subcommands: [CronNextCommand.self])
}
