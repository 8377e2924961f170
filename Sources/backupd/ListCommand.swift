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
        let config = try options.loadConfig(secrets: .destinationOf(job: job))
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
        let dates = objects.map { $0.lastModified.map { config.timeZone.iso8601($0) } ?? "-" }
        let sizes = objects.map { String($0.size) }
        let dateWidth = max(4, dates.map(\.count).max() ?? 0)
        let sizeWidth = max(5, sizes.map(\.count).max() ?? 0)
        print("DATE".padding(toLength: dateWidth, withPad: " ", startingAt: 0) + "  " + String(repeating: " ", count: sizeWidth - 5) + "BYTES  OBJECT")
        for (index, object) in objects.enumerated() {
            let date = dates[index].padding(toLength: dateWidth, withPad: " ", startingAt: 0)
            let size = String(repeating: " ", count: sizeWidth - sizes[index].count) + sizes[index]
            print("\(date)  \(size)  \(object.key)")
        }
    }
}
