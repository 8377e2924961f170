import ArgumentParser
import BackupKit
import Foundation

/// `backupd prune [JOB] [--dry-run] [--destination NAME]`: applies the retention policy of one job
/// or of every job, at each of a job's destinations with the policy that applies there.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the backups a job's retention policy no longer keeps (every job without JOB).",
        discussion: "Prints every backup with keep or delete and the rules that keep it, per destination for a job with several (--destination: only that one). Deletes only what both witnesses allow: a complete listing and the history of what this backupd stored (a dry run reads the history too, when there is one). Exits 1 when a listing fails (nothing is deleted there then), an object could not be deleted, or a backup the history records as stored has no manifest (nothing is deleted for that job there; run verify), or another host holds a runOn \"any\" job's prune claim (that job is skipped; a dry run takes no claim); 130 when SIGINT or SIGTERM stopped it (at the next page or batch).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name (default: every job).", completion: JobNameCompletion.kind)
    var job: String?

    @Flag(help: "Show what would be deleted without deleting anything.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Log each deletion to stderr.")
    var verbose = false

    @Option(name: .customLong("destination"), help: ArgumentHelp("Prune only this destination of the job (default: each of its destinations).", valueName: "NAME"))
    var destination: String?

    @Flag(help: "Print JSON (docs/json.md): an array with one object per job and destination.")
    var json = false

    func run() async throws {
        let config = try options.loadConfig()
        let jobs = try job.map { [try requireJob($0, in: config, path: options.config)] } ?? config.jobs
        if let destination {
            guard let job = jobs.first, self.job != nil else {
                printError("--destination needs a JOB: prune JOB --destination \(destination)")
                throw ExitCode.failure
            }
            guard job.destinations.contains(destination) else {
                printError(DestinationFocusError.unknownDestination(job: job.name, name: destination, known: job.destinations).description)
                throw ExitCode.failure
            }
        }
        let logger = commandLogger(verbose: verbose)
        let prune: PruneJobs
        do {
            prune = try PruneJobs(config: config, dryRun: dryRun, logger: logger, warn: printError)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let (json, destination) = (self.json, self.destination)
        // SIGTERM/SIGINT stop the listing or the deletions at the next page or batch (a request in
        // flight within about a second); what was deleted by then is still recorded.
        let (pruned, stopped) = try await stoppingOnSignals { () -> (failed: Bool, documents: [JSONOutput]) in
            var failed = false
            var first = true
            var documents: [JSONOutput] = []
            for job in jobs where !Task.isCancelled {
                let outcome = await prune.prune(job, only: destination.map { [$0] }, logger: logger)
                guard case .ran(let pruned) = outcome else {
                    printError(outcome.refusal(.prune, job: job.name) ?? job.name)
                    failed = true
                    continue
                }
                for each in pruned {
                    if json {
                        documents.append(PruneReportRenderer.json(
                            job: job.name, destination: each.destination, policy: each.job.retention, dryRun: prune.dryRun, result: each.result))
                    }
                    if !first && !json { print("") }
                    first = false
                    if !json { print("destination \(each.destination):") }
                    if !json, case .success(let report) = each.result {
                        print(PruneReportRenderer.render(report, policy: each.job.retention, zone: job.timeZone))
                    }
                    if let problem = each.problem { printError("\(job.name) at \(each.destination): \(problem)") }
                    if each.failed { failed = true }
                }
            }
            return (failed, documents)
        }
        var failed = pruned.failed
        let documents = pruned.documents
        if json { print(JSONOutput.array(documents).text, terminator: "") }
        if let problem = prune.trimHistory() {
            printError(problem)
            failed = true
        }
        if let reason = stopped {
            printError("prune stopped: \(reason); backups not yet reached were left alone")
            throw ExitCode(130)
        }
        if failed { throw ExitCode.failure }
    }
}
