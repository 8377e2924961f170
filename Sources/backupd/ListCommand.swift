import ArgumentParser
import BackupKit
import Foundation

/// `backupd list JOB`: the job's backups in its bucket, oldest first.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a job's backups in the bucket with their size and date.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.")
    var job: String

    func run() throws {
        let config = try options.loadConfig()
        let job = try requireJob(self.job, in: config, path: options.config)
        let restorer = Restorer(stores: liveStores(logger: commandLogger(verbose: false)), launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
        let objects: [StoredObject]
        do {
            objects = try restorer.backups(of: job, config: config)
        } catch {
            printError("cannot list the backups of \(job.name): \(error)")
            throw ExitCode.failure
        }
        if objects.isEmpty {
            printError("no backups of \(job.name) under \(ObjectName.listPrefix(prefix: job.prefix, job: job.name)) yet")
            return
        }
        let reasons = retentionColumn(objects, job: job, config: config)
        let reasonWidth = max(9, reasons.map(\.count).max() ?? 0)
        let dates = objects.map { $0.lastModified.map { config.timeZone.iso8601($0) } ?? "-" }
        let sizes = objects.map { String($0.size) }
        let dateWidth = max(4, dates.map(\.count).max() ?? 0)
        let sizeWidth = max(5, sizes.map(\.count).max() ?? 0)
        print("DATE".padding(toLength: dateWidth, withPad: " ", startingAt: 0) + "  " + String(repeating: " ", count: sizeWidth - 5) + "BYTES  " + "RETENTION".padding(toLength: reasonWidth, withPad: " ", startingAt: 0) + "  OBJECT")
        for (index, object) in objects.enumerated() {
            let date = dates[index].padding(toLength: dateWidth, withPad: " ", startingAt: 0)
            let size = String(repeating: " ", count: sizeWidth - sizes[index].count) + sizes[index]
            let reason = reasons[index].padding(toLength: reasonWidth, withPad: " ", startingAt: 0)
            print("\(date)  \(size)  \(reason)  \(object.key)")
        }
    }

    /// What retention decides for each object's backup (`keep (last, daily)`, `delete`,
    /// `incomplete, ...`), or `-` when the plan cannot be made or the object is no backup's.
    private func retentionColumn(_ objects: [StoredObject], job: JobConfig, config: BackupConfig) -> [String] {
        let pruner = Pruner(stores: liveStores(logger: commandLogger(verbose: false)), history: nil, clock: SystemWallClock())
        let byKey = (try? pruner.plan(job: job, config: config, logger: commandLogger(verbose: false)))?.summaryByKey ?? [:]
        return objects.map { byKey[$0.key] ?? "-" }
    }
}
