import ArgumentParser
import BackupKit
import Foundation

/// `backupd list JOB`: the job's backups, from their manifests, newest first.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a job's backups (from their manifests), newest first, with the last verification of each.",
        discussion: "A backup exists when its manifest does; --all also shows data objects without one as incomplete.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.", completion: JobNameCompletion.kind)
    var job: String

    @OptionGroup var destination: DestinationOption

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also show incomplete backups (data objects without a manifest).")
    var all = false

    func run() throws {
        let config = try options.loadConfig(secrets: .destinationOf(job: job))
        let restorer = Restorer(stores: liveStores(logger: commandLogger(verbose: false)), launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
        let job = try destination.focus(try requireJob(self.job, in: config, path: options.config)) {
            DestinationOption.holds(nil, restorer: restorer, job: $0, config: config)
        }
        let entries: [CatalogEntry]
        do {
            entries = try restorer.catalog(of: job, config: config).entries(includeIncomplete: all)
        } catch {
            printError("cannot list the backups of \(job.name): \(error)")
            throw ExitCode.failure
        }
        let verifications = (try? HistoryStore(stateDirectory: config.stateDirectory, readOnly: true))
            .flatMap { try? $0.lastVerifications(job: job.name, destination: job.destination) } ?? [:]
        if json {
            print(try CatalogRenderer.json(entries, verifications: verifications), terminator: "")
            return
        }
        if entries.isEmpty {
            printError("no backups of \(job.name) under \(ObjectName.listPrefix(prefix: job.prefix, job: job.name)) yet")
            return
        }
        // The listed destination's own retention, when the job sets one there.
        let here = job.only(destination: job.destination)
        let retention = here.retention == nil ? [:] : retentionColumn(job: here, config: config)
        print(CatalogRenderer.table(entries, verifications: verifications, retention: retention) { config.timeZone.iso8601($0) }, terminator: "")
    }

    /// What retention decides for each backup (`keep (last, daily)`, `delete`, `incomplete, ...`),
    /// by backup id; empty when the plan cannot be made.
    private func retentionColumn(job: JobConfig, config: BackupConfig) -> [String: String] {
        let pruner = Pruner(stores: liveStores(logger: commandLogger(verbose: false)), history: nil, clock: SystemWallClock())
        return (try? pruner.plan(job: job, config: config, logger: commandLogger(verbose: false)))?.summaryByBackupID ?? [:]
    }
}
