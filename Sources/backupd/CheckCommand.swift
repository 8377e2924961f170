import ArgumentParser
import BackupKit
import ConfigKit
import Foundation
import Logging

/// `backupd check [DESTINATION | JOB]`: proves each destination's credentials and permissions, and
/// for a job first everything its dump needs from the database.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check everything a backup needs: a job's database and tools, and every S3 operation against each destination.",
        discussion: """
            For a JOB, first its database: the dump tool is installed and its version can dump the server's, \
            the login works, the role can read every table the dump would (PostgreSQL: SELECT on each table \
            and sequence; MySQL: a --no-data dump and SELECT on the database), and the restore tool is \
            installed (a warning only). Then for each destination it reaches the endpoint, measures clock \
            skew, and under a temporary prefix in the bucket tries PutObject, a small multipart upload, \
            HeadObject, GetObject, ListObjectsV2, ListMultipartUploads, AbortMultipartUpload and \
            DeleteObjects, cleaning up after itself, then probes conditional writes (a second If-None-Match: * \
            PUT and a wrong If-Match must be refused, the right If-Match must pass; a failure is an error for \
            the first destination of a runOn "any" job, else a warning). Connections give up after a few seconds and at most \
            two retries (a backup's retry budget is for riding out outages, not for diagnosis). Given a \
            job with "tables", it also lists the tables each of its patterns matches and warns about an \
            include that matches nothing. Exits 1 when any step fails.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The destination to check, or a job to check its database and each of its destinations (default: every destination).")
    var destination: String?

    @Flag(help: "Print JSON (docs/json.md): {passed, reports: [...]}, one report per job database and destination.")
    var json = false

    func run() async throws {
        var config = try options.loadConfig(secrets: destination.map(SecretScope.destination) ?? .destinations)
        var job: JobConfig?
        var destinations = config.destinations
        switch ConfigCheck.target(destination, in: config, path: options.config) {
        case .everyDestination:
            break
        case .destination(let found):
            destinations = [found]
        case .job(let name):
            // The job's connection secrets too, which the destination scope leaves unresolved.
            config = try options.loadConfig(secrets: .job(name))
            job = config.job(named: name)
            destinations = job.map { ConfigCheck.destinations(of: $0, in: config) } ?? []
        case .unknown(let message):
            printError(message)
            throw ExitCode.failure
        }
        var logger = Logger(label: "backupd.check")
        logger.logLevel = .warning
        var printed = false
        var reports: [JSONOutput] = []
        var allPassed = await ConfigCheck(config: config).run(job: job, destinations: destinations, logger: logger) { report, destination in
            if json {
                reports.append(report.json)
            } else {
                if printed { print("") }
                print(report.render())
                if let destination { print("  \(destination.providerSummary)") }
            }
            printed = true
        }
        if let job, job.tables != nil {
            allPassed = checkTables(job: job.name) && allPassed
        }
        if json { print(JSONOutput.object([("passed", .bool(allPassed)), ("reports", .array(reports))]).text, terminator: "") }
        if !allPassed { throw ExitCode.failure }
    }

    /// Prints what each of the job's table patterns matches (warning on an include that matches
    /// nothing); false when the database cannot be asked.
    private func checkTables(job name: String) -> Bool {
        // Under --json the table report is for people: stderr, so stdout stays one document.
        let say: (String) -> Void = json ? { printError($0) } : { print($0) }
        say("")
        switch ConfigCheck.tables(job: name, configPath: options.config) {
        case .none:
            return true
        case .matched(let text, let warnings):
            say(text)
            for warning in warnings { printError("warning: \(warning)") }
            return true
        case .configError(let description):
            printError(description)
            return false
        case .failed(let error):
            say("Tables of job \(name)\n  FAILED  \(error)")
            return false
        }
    }
}
