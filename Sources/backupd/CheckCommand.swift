import ArgumentParser
import BackupKit
import Foundation
import Logging

/// `backupd check [DESTINATION]`: proves each destination's credentials and permissions.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exercise every S3 operation a backup needs against each destination (or the one named).",
        discussion: """
            Reaches the endpoint, measures clock skew, then under a temporary prefix in the bucket tries \
            PutObject, a small multipart upload, HeadObject, GetObject, ListObjectsV2, ListMultipartUploads, \
            AbortMultipartUpload and DeleteObjects, cleaning up after itself. Given a job with "tables", \
            also lists the tables each of its patterns matches in its database (with its credentials) and \
            warns about an include that matches nothing. Exits 1 when any step fails.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The destination to check, or a job to check each of its destinations (default: all).")
    var destination: String?

    func run() throws {
        let config = try options.loadConfig(secrets: destination.map(SecretScope.destination) ?? .destinations)
        var destinations = config.destinations
        if let name = destination, config.destination(named: name) == nil, let job = config.job(named: name) {
            destinations = job.destinations.compactMap(config.destination(named:))
        } else if let name = destination {
            guard let found = config.destination(named: name) else {
                let known = config.destinations.map(\.name).joined(separator: ", ")
                printError("no destination or job named \"\(name)\" in \(options.config); destinations: \(known.isEmpty ? "none" : known)")
                throw ExitCode.failure
            }
            destinations = [found]
        }
        var logger = Logger(label: "backupd.check")
        logger.logLevel = .warning
        var allPassed = true
        for (index, destination) in destinations.enumerated() {
            let client = S3Client(destination: destination, logger: logger)
            let token = String(UUID().uuidString.prefix(8)).lowercased()
            let report = DestinationChecker(client: client, name: destination.name, token: token).run()
            if index > 0 { print("") }
            print(report.render())
            print("  \(destination.providerSummary)")
            allPassed = allPassed && report.passed
        }
        if let name = destination, config.destination(named: name) == nil, config.job(named: name)?.tables != nil {
            allPassed = checkTables(job: name) && allPassed
        }
        if !allPassed { throw ExitCode.failure }
    }

    /// Prints what each of the job's table patterns matches (warning on an include that matches
    /// nothing); false when the database cannot be asked.
    private func checkTables(job name: String) -> Bool {
        print("")
        do {
            // The job's own credentials are needed now, not only its destinations'; the file's
            // warnings were printed by the first load.
            let (config, _) = try BackupConfig.load(path: options.config, secrets: .job(name))
            guard let job = config.job(named: name),
                  let matches = try TableCheck(launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment).run(job)
            else { return true }
            print(matches.render())
            for warning in matches.warnings { printError("warning: \(warning)") }
            return true
        } catch let error as ConfigError {
            printError(error.description)
            return false
        } catch {
            print("Tables of job \(name)\n  FAILED  \(error)")
            return false
        }
    }
}
