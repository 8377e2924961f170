import ArgumentParser
import BackupCore
import BackupHistory
import BackupKit
import ConfigKit
import Cron
import Foundation

/// `backupd history`: what ran, when, how long, how big, and why anything failed.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show recorded backup runs, newest first.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Only this job's runs.", completion: JobNameCompletion.kind)
    var job: String?

    @Option(help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: String?

    @Option(help: "Only runs started within this duration (7d, 12h) or since this ISO 8601 time.")
    var since: String?

    @Option(help: "At most this many runs.")
    var limit: Int = 20

    @Flag(help: "Print JSON for scripts instead of a table.")
    var json = false

    func run() throws {
        let config = try options.loadConfig(secrets: .none)
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        var query = HistoryQuery(job: job, limit: limit)
        if let status {
            guard let parsed = RunStatus(rawValue: status) else {
                throw ValidationError("--status \"\(status)\" is not a status; use one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.status = parsed
        }
        if let since {
            if let duration = DurationText.parse(since) {
                query.since = Date().addingTimeInterval(-Double(duration.components.seconds))
            } else if let instant = ISO8601Instant.parse(since, defaultZone: config.timeZone) {
                query.since = instant
            } else {
                throw ValidationError("--since \"\(since)\" is neither a duration (7d, 12h, 90m) nor an ISO 8601 time (2026-11-01T00:00:00Z)")
            }
        }
        if let job, config.job(named: job) == nil {
            // A job removed from the config keeps its recorded runs; a misspelt name has none.
            let recorded = FileManager.default.fileExists(atPath: config.stateDirectory + "/" + HistoryStore.fileName)
                ? try !openHistory(config).runs(HistoryQuery(job: job, limit: 1)).isEmpty : false
            guard recorded else {
                printError(unknownJobMessage(job, in: config, path: options.config))
                throw ExitCode.failure
            }
            printError("note: no job named \"\(job)\" in \(options.config); showing its recorded runs")
        }
        let store = try openHistory(config)
        let runs = try store.runs(query)
        let destinations = try store.destinationResults(runIDs: runs.map(\.id))
        if json {
            print(HistoryRenderer.json(runs, destinations: destinations), terminator: "")
        } else {
            let table = HistoryRenderer.table(runs, destinations: destinations, zone: config.timeWriter(job:))
            print(TerminalFit.fit(table, width: terminalWidth()), terminator: "")
        }
    }
}

/// Opens the history read-only, with an error that says where it looked.
func openHistory(_ config: BackupConfig) throws -> HistoryStore {
    let path = config.stateDirectory + "/" + HistoryStore.fileName
    guard FileManager.default.fileExists(atPath: path) else {
        printError("no history at \(path) yet: the daemon (backupd run) or backupd run-now creates it")
        throw ExitCode.failure
    }
    do {
        return try HistoryStore(path: path, readOnly: true)
    } catch {
        printError("cannot open the history at \(path): \(error)")
        throw ExitCode.failure
    }
}
