import ArgumentParser
import BackupKit
import Foundation

/// `backupd run-now JOB`: takes one backup now, records it in the history, prints where it went.
struct RunNowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-now",
        abstract: "Take a backup of one job now and print the object, its size, SHA-256 and duration.",
        discussion: "The run is recorded in the history (trigger run-now). Exits 1 with the reason when the backup fails; Ctrl-C stops the dump and aborts the upload.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.")
    var job: String

    @Flag(name: .shortAndLong, help: "Log each step to stderr.")
    var verbose = false

    func run() throws {
        let config = try options.loadConfig()
        let job = try requireJob(self.job, in: config, path: options.config)
        let history: HistoryStore
        do {
            history = try HistoryStore(stateDirectory: config.stateDirectory)
        } catch {
            printError("cannot open the history in \(config.stateDirectory): \(error)")
            throw ExitCode.failure
        }
        let clock = SystemWallClock()
        let runner = BackupRunner(
            stores: liveStores(logger: commandLogger(verbose: verbose)), launcher: PosixProcessLauncher(), clock: clock,
            environment: ProcessInfo.processInfo.environment)
        let verifyRunner = VerifyRunner(
            stores: liveStores(logger: commandLogger(verbose: verbose)), launcher: PosixProcessLauncher(),
            environment: ProcessInfo.processInfo.environment, clock: clock, history: history)
        let recorder = RunRecorder(history: history, executor: runner, clock: clock, observers: [AfterBackupVerifier(runner: verifyRunner)])
        let cancellation = RunCancellation()
        let signals = cancelOnSignals(cancellation)
        defer { signals.forEach { $0.cancel() } }
        let started = clock.now()
        let (runID, outcome) = try recorder.perform(
            ScheduledRun(job: job.name, trigger: .runNow, scheduledFor: started), job: job, config: config,
            cancellation: cancellation, logger: commandLogger(verbose: verbose))
        let seconds = outcome.endedAt.timeIntervalSince(started)
        guard outcome.status == .succeeded else {
            if outcome.status == .partial {
                // Exit 2: the backup exists at some destinations, which a script may treat apart from a failure.
                printError("backup of \(job.name) is partial after \(String(format: "%.1f", seconds)) s (run \(runID)): \(outcome.error ?? "")")
                for result in outcome.destinations { printError("  \(result.destination): \(result.status.rawValue)\(result.error.map { " (\($0))" } ?? "")") }
                throw ExitCode(2)
            }
            printError("backup of \(job.name) failed after \(String(format: "%.1f", seconds)) s (run \(runID)): \(outcome.error ?? "unknown error")")
            if let tail = outcome.stderrTail, !tail.isEmpty {
                let lines = tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(10)
                printError("last lines of the tool's stderr:\n" + lines.map { "  \($0)" }.joined(separator: "\n"))
            }
            throw ExitCode.failure
        }
        let bucket = config.destination(named: job.destination)?.bucket ?? job.destination
        print("backed up \(job.name) in \(String(format: "%.1f", seconds)) s (run \(runID))")
        if job.destinations.count > 1 {
            print("  stored   at \(job.destinations.joined(separator: ", ")) (each its own objects and manifest)")
        }
        print("  object   s3://\(bucket)/\(outcome.objectKey ?? "")")
        print("  size     \(formatSize(outcome.bytesStored ?? 0)), from \(formatSize(outcome.bytesRead ?? 0)) of dump")
        print("  sha256   \(outcome.sha256 ?? "")")
        if let key = outcome.objectKey, let id = ObjectName.parse(key, prefix: job.prefix, job: job.name)?.backupID {
            print("  manifest s3://\(bucket)/\(ObjectName.manifestKey(prefix: job.prefix, backupID: id))")
        }
    }
}
