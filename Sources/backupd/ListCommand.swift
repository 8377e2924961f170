import ArgumentParser
import BackupCore
import BackupHistory
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
        let restorer = Restorer(stores: liveStores(logger: commandLogger(verbose: false)), launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
        let job = try await destination.focus(try requireJob(name, in: config, path: options.config)) {
            await DestinationOption.holds(nil, restorer: restorer, job: $0, config: config)
        }
        let entries: [CatalogEntry]
        let strangers: [StoredObject]
        do {
            let listing = try await restorer.catalog(of: job, config: config).listing(includeIncomplete: all)
            entries = listing.entries
            strangers = all ? listing.strangers : []
        } catch {
            printError("cannot list the backups of \(job.name): \(error)")
            throw ExitCode.failure
        }
        let history = try? HistoryStore(stateDirectory: config.stateDirectory, readOnly: true)
        let verifications = history.flatMap { try? $0.lastVerifications(job: job.name, destination: job.destination) } ?? [:]
        // The manifest says a backup was suspicious when taken; the history whether it was acknowledged since.
        let acknowledged = Set((history.flatMap { try? $0.runs(HistoryQuery(job: job.name, limit: 10_000)) } ?? [])
            .filter { $0.suspicious != nil && $0.acknowledgedAt != nil }.compactMap(\.backupID))
        if json {
            print(
                try CatalogRenderer.json(entries, verifications: verifications, strangers: strangers, acknowledged: acknowledged),
                terminator: "")
            return
        }
        if entries.isEmpty {
            printError("no backups of \(job.name) under \(ObjectName.listPrefix(prefix: job.prefix, job: job.name)) yet")
            print(CatalogRenderer.strangers(strangers), terminator: "")
            return
        }
        // The listed destination's own retention, when the job sets one there.
        let here = job.only(destination: job.destination)
        let retention = here.retention == nil ? [:] : await retentionColumn(job: here, config: config, history: history)
        print(
            CatalogRenderer.table(
                entries, verifications: verifications, retention: retention, acknowledged: acknowledged, width: terminalWidth()
            ) { job.timeZone.iso8601($0) },
            terminator: "")
        print(CatalogRenderer.strangers(strangers), terminator: "")
    }

    /// What retention decides for each backup (`keep (last, daily)`, `delete`, `incomplete, ...`),
    /// by backup id; empty when the plan cannot be made.
    func retentionColumn(job: JobConfig, config: BackupConfig, history: HistoryStore?) async -> [String: String] {
        // The history (read-only) is both the second witness and the source of suspicion.
        let pruner = Pruner(
            stores: liveStores(logger: commandLogger(verbose: false)), history: history ?? existingHistory(config), clock: SystemWallClock())
        return (try? await pruner.plan(job: job, config: config, logger: commandLogger(verbose: false)))?.summaryByBackupID ?? [:]
    }
}
