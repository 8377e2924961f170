import ArgumentParser
import BackupCore
import BackupEngines
import BackupKit
import ConfigKit
import Foundation
import Logging
import S3Kit

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

    /// How S3 requests of a check are retried: twice at most, within 10 seconds.
    static let retry = RetryPolicy(budget: 10, maxAttempts: 3, baseDelay: 0.25, maxDelay: 2)

    @Flag(help: "Print JSON (docs/json.md): {passed, reports: [...]}, one report per job database and destination.")
    var json = false

    func run() async throws {
        var config = try options.loadConfig(secrets: destination.map(SecretScope.destination) ?? .destinations)
        var destinations = config.destinations
        var allPassed = true
        var printed = false
        var reports: [JSONOutput] = []
        if let name = destination, config.destination(named: name) == nil, config.job(named: name) != nil {
            // The job's connection secrets too, which the destination scope leaves unresolved.
            config = try options.loadConfig(secrets: .job(name))
            let job = config.job(named: name)!
            var checker = DatabaseChecker(job: job, launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
            checker.stateDirectory = config.stateDirectory
            let report = checker.run()
            if json { reports.append(report.json) } else { print(report.render()) }
            printed = true
            allPassed = report.passed
            destinations = job.destinations.compactMap(config.destination(named:))
        } else if let name = destination {
            guard let found = config.destination(named: name) else {
                let known = config.destinations.map(\.name).joined(separator: ", ")
                let guess = config.suggestion(for: name, includingDestinations: true).map { "; did you mean \"\($0)\"?" } ?? ""
                printError("no destination or job named \"\(name)\" in \(options.config)\(guess); destinations: \(known.isEmpty ? "none" : known)")
                throw ExitCode.failure
            }
            destinations = [found]
        }
        var logger = Logger(label: "backupd.check")
        logger.logLevel = .warning
        for (index, destination) in destinations.enumerated() {
            var settings = S3Settings(destination: destination)
            settings.retry = Self.retry
            let client = S3Client(settings: settings, transport: CurlTransport(options: .init(caFile: settings.caFile)), logger: logger)
            let token = String(UUID().uuidString.prefix(8)).lowercased()
            let checked = await DestinationChecker(client: client, name: destination.name, token: token).run()
            let report = await withConditionalProbe(checked, client: client, destination: destination, config: config, token: token)
            if json {
                reports.append(report.json)
            } else {
                if index > 0 || printed { print("") }
                print(report.render())
                print("  \(destination.providerSummary)")
            }
            allPassed = allPassed && report.passed
        }
        if let name = destination, config.destination(named: name) == nil, config.job(named: name)?.tables != nil {
            allPassed = checkTables(job: name) && allPassed
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
        do {
            // The job's own credentials are needed now, not only its destinations'; the file's
            // warnings were printed by the first load.
            let (config, _) = try BackupConfig.load(path: options.config, secrets: .job(name))
            guard let job = config.job(named: name),
                  let matches = try TableCheck(launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment).run(job)
            else { return true }
            say(matches.render())
            for warning in matches.warnings { printError("warning: \(warning)") }
            return true
        } catch let error as ConfigError {
            printError(error.description)
            return false
        } catch {
            say("Tables of job \(name)\n  FAILED  \(error)")
            return false
        }
    }
}
