import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd run-now JOB`: takes one backup now, through the running daemon when there is one
/// (its overlap and concurrency rules hold), else in this process under the state lock.
struct RunNowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-now",
        abstract: "Take a backup of one job now and print the object, its size, SHA-256 and duration.",
        discussion: """
            With a daemon running on the same state directory, the daemon takes the backup (asked \
            over its control socket); a job it is already running is not started twice: run-now \
            names the run in progress and exits 1, or with --wait prints that run's result. Without \
            a daemon, run-now takes the state directory's lock and runs the backup itself; Ctrl-C \
            then stops the dump and aborts the upload. The run is recorded in the history (trigger \
            run-now). Exits 0 when the backup succeeded, 2 when a job with several destinations stored it \
            at some of them only (partial), 1 with the reason otherwise.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.", completion: JobNameCompletion.kind)
    var job: String

    @Flag(name: .shortAndLong, help: "Log each step to stderr.")
    var verbose = false

    @Flag(help: "When the daemon is already running this job, wait for that run and print its result.")
    var wait = false

    @Flag(help: "Print the result as JSON (docs/json.md), whatever the outcome; the exit status is the same.")
    var json = false

    func run() async throws {
        let config = try options.loadConfig(secrets: .job(job))
        let job = try requireJob(self.job, in: config, path: options.config)
        let route: Daemon.RunNowRoute
        do {
            route = try Daemon.routeRunNow(stateDirectory: config.stateDirectory)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        switch route {
        case .daemon(let client):
            try runInDaemon(client, job: job.name)
        case .here(let lock):
            defer { withExtendedLifetime(lock) {} }
            try await runHere(job: job, config: config)
        }
    }

    /// Asks the daemon and relays its lines: progress to stderr, the result as a local run prints it.
    /// On a terminal a line shows the elapsed time meanwhile (the bytes stay in the daemon).
    private func runInDaemon(_ client: ControlClient, job: String) throws {
        let terminal = TerminalProgress.start(label: "backing up \(job) in the daemon:", counting: false)
        defer { terminal?.finish() }
        do {
            let reply = try client.runNow(job: job, wait: wait) { message in
                if let terminal { terminal.progress.message(message) } else { printError(message) }
            }
            terminal?.finish()
            switch reply {
            case .refused(let reason):
                printError(reason)
                throw ExitCode.failure
            case .result(let message, let summary):
                if let message { printError(message) }
                guard let summary else { throw ControlError.badReply(path: client.path, line: "result without a summary") }
                try printSummary(summary)
            }
        } catch let error as ControlError {
            printError("\(error)")
            throw ExitCode.failure
        }
    }

    /// Runs the backup in this process (the caller holds the state lock).
    private func runHere(job: JobConfig, config: BackupConfig) async throws {
        let local: LocalRunNow
        do {
            local = try LocalRunNow(config: config)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        // Counts the upload into a line on a terminal, against the size estimate (`ExpectedSize`).
        let terminal = TerminalProgress.start(label: "backing up \(job.name):")
        defer { terminal?.finish() }
        let logger = commandLogger(verbose: verbose)
        let session = local.session(config: config, progress: terminal?.progress, logger: logger)
        // Notifications go out in the background during the backup; give the last ones a bounded
        // moment before the process exits (the result is already recorded and printed by then).
        defer { session.flushNotifications() }
        do {
            switch try await stoppingOnSignals({ try await session.run(job: job, config: config, logger: logger) }).value {
            case .recorded(let summary):
                terminal?.finish()
                try printSummary(summary)
            case .unrecorded(let message, let summary):
                terminal?.finish()
                printError(message)
                try printSummary(summary)
            }
        } catch let error as RunRecordingError {
            terminal?.finish()
            printError("\(error)")
            throw ExitCode.failure
        }
    }

    /// The result lines (stdout on success, stderr on failure); throws exit 2 for a partial run
    /// (stored at some destinations only), 1 for any other that did not succeed.
    private func printSummary(_ summary: RunSummary) throws {
        let seconds = String(format: "%.1f", summary.seconds)
        let run = summary.runID.map { "run \($0)" } ?? "not recorded"
        if json { print(summary.json.text, terminator: "") }
        if summary.partial {
            // Exit 2: the backup exists at some destinations, which a script may treat apart from a failure.
            printError("backup of \(summary.job) is partial after \(seconds) s (\(run)): \(summary.error ?? "")")
            for result in summary.destinations ?? [] {
                printError("  \(result.destination): \(result.status.rawValue)\(result.error.map { " (\($0))" } ?? "")")
            }
            throw ExitCode(2)
        }
        guard summary.succeeded else {
            printError("backup of \(summary.job) failed after \(seconds) s (\(run)): \(summary.error ?? "unknown error")")
            if let tail = summary.stderrTail, !tail.isEmpty {
                let lines = tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(10)
                printError("last lines of the tool's stderr:\n" + lines.map { "  \($0)" }.joined(separator: "\n"))
            }
            throw ExitCode.failure
        }
        if !json {
            print("backed up \(summary.job) in \(seconds) s (\(run))")
            if let destinations = summary.destinations, !destinations.isEmpty {
                print("  stored   at \(destinations.map(\.destination).joined(separator: ", ")) (objects and manifest at each)")
            }
            print("  object   s3://\(summary.bucket)/\(summary.objectKey ?? "")")
            print("  size     \(formatSize(summary.bytesStored ?? 0)), from \(formatSize(summary.bytesRead ?? 0)) of dump")
            print("  sha256   \(summary.sha256 ?? "")")
            if let manifest = summary.manifestKey {
                print("  manifest s3://\(summary.bucket)/\(manifest)")
            }
        }
        if let reason = summary.suspicious {
            // Stored (exit 0), but a person should look before retention treats it as a normal backup.
            printError(
                "warning: backup \(summary.backupID ?? "") is SUSPICIOUS: \(reason); it is stored, and retention keeps the older "
                    + "backups until it is acknowledged: check it, then `backupd ack \(summary.job) \(summary.backupID ?? "BACKUP_ID")`")
        }
    }
}
