import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd list JOB`: the job's backups, from their manifests, newest first; without JOB, every
/// job's newest backups in one overview.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a job's backups (from their manifests), newest first, with the last verification of each; without JOB, every job's newest.",
        discussion: "A backup exists when its manifest does; --all also shows data objects without one as incomplete, and the strangers: objects under the job's prefix whose whole key is no backup name (never deleted by prune). Without JOB: an overview of every job at each of its destinations, its newest backups (--newest N, default 3) with how many there are, their verification, retention decision and suspicion; exits 1 when a destination cannot be listed. --json output is described in docs/json.md.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name (default: an overview of every job).", completion: JobNameCompletion.kind)
    var job: String?

    @OptionGroup var destination: DestinationOption

    @Flag(help: "Print JSON (docs/json.md); without JOB the overview's own document.")
    var json = false

    @Flag(help: "Also show incomplete backups (data objects without a manifest) and strangers (objects that are no backup name).")
    var all = false

    @Option(help: "Without JOB: how many of each job's newest backups to show.")
    var newest = 3

    func run() async throws {
        guard let name = self.job else {
            guard !all, destination.name == nil else { throw ValidationError("--all and --destination need a JOB") }
            guard newest >= 1 else { throw ValidationError("--newest must be at least 1") }
            return try await overview()
        }
        let config = try options.loadConfig(secrets: .destinationOf(job: name))
        let backups = JobBackups(config: config, logger: commandLogger(verbose: false))
        let job = try await destination.focus(try requireJob(name, in: config, path: options.config), in: backups, holding: nil)
        let listing: BackupListing
        do {
            listing = try await backups.listing(of: job, all: all)
        } catch {
            printError("cannot list the backups of \(job.name): \(error)")
            throw ExitCode.failure
        }
        if json {
            print(try listing.json(), terminator: "")
            return
        }
        if listing.entries.isEmpty {
            printError(listing.emptyNote)
            print(listing.strangersText, terminator: "")
            return
        }
        let retention = await backups.retentionColumn(of: listing, logger: commandLogger(verbose: false), warn: printError)
        print(listing.table(retention: retention, width: terminalWidth()), terminator: "")
        print(listing.strangersText, terminator: "")
    }
}
