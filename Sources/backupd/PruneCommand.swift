import ArgumentParser
import BackupKit
import Foundation

/// `backupd prune [JOB] [--dry-run]`: applies the retention policy of one job or of every job.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the backups a job's retention policy no longer keeps (every job without JOB).",
        discussion: "Prints every backup with keep or delete and the rules that keep it. Exits 1 when a listing fails (nothing is deleted then) or an object could not be deleted.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name (default: every job).")
    var job: String?

    @Flag(help: "Show what would be deleted without deleting anything.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Log each deletion to stderr.")
    var verbose = false

    func run() throws {
        let config = try options.loadConfig()
        let jobs = try job.map { [try requireJob($0, in: config, path: options.config)] } ?? config.jobs
        let history: HistoryStore?
        do {
            history = dryRun ? nil : try HistoryStore(stateDirectory: config.stateDirectory)
        } catch {
            printError("cannot open the history in \(config.stateDirectory): \(error)")
            throw ExitCode.failure
        }
        let logger = commandLogger(verbose: verbose)
        let clock = SystemWallClock()
        let pruner = Pruner(stores: liveStores(logger: logger), history: history, clock: clock)
        var failed = false
        for (index, job) in jobs.enumerated() {
            if index > 0 { print("") }
            do {
                let report = try pruner.prune(job: job, config: config, dryRun: dryRun, logger: logger)
                print(PruneReportRenderer.render(report, policy: job.retention, zone: job.timeZone))
                if !report.refused.isEmpty { failed = true }
            } catch {
                printError("\(job.name): \(error)")
                failed = true
            }
        }
        if let history {
            do {
                try history.pruneHistory(before: clock.now().addingTimeInterval(-Double(config.historyRetention.components.seconds)))
            } catch {
                printError("cannot delete old history rows: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
