import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd history`: what ran, when, how long, how big, and why anything failed.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show recorded backup runs, newest first.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Only this job's runs.", completion: JobNameCompletion.kind)
    var job: String?

    @Option(help: "Only runs with this status: \(HistoryListing.statusNames.joined(separator: ", ")).")
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
        let query: HistoryListing.Query
        do {
            query = try HistoryListing.query(job: job, status: status, since: since, limit: limit, zone: config.timeZone, now: Date())
        } catch {
            throw ValidationError(error.description)
        }
        if let job, config.job(named: job) == nil {
            // A job removed from the config keeps its recorded runs; a misspelt name has none.
            guard try exitOnHistoryError({ try HistoryListing.hasRuns(job: job, config: config) }) else {
                printError(unknownJobMessage(job, in: config, path: options.config))
                throw ExitCode.failure
            }
            printError("note: no job named \"\(job)\" in \(options.config); showing its recorded runs")
        }
        let listing = try exitOnHistoryError { try HistoryListing.read(query, config: config) }
        if json {
            print(listing.json, terminator: "")
        } else {
            print(listing.table(config: config, width: terminalWidth()), terminator: "")
        }
    }

    /// `body`'s value; a history that cannot be opened is printed and exits 1 (a read error is thrown as is).
    private func exitOnHistoryError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CommandHistoryError {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
