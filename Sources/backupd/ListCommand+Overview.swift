import ArgumentParser
import BackupCore
import BackupHistory
import BackupKit
import Foundation

extension ListCommand {
    /// `backupd list` without a job: every job's newest backups at each of its destinations.
    func overview() async throws {
        let config = try options.loadConfig(secrets: .destinations)
        let restorer = Restorer(stores: liveStores(logger: commandLogger(verbose: false)), launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
        let history = existingHistory(config)
        var sections: [CatalogOverview.Section] = []
        for job in config.jobs {
            let acknowledged = Set((history.flatMap { try? $0.runs(HistoryQuery(job: job.name, limit: 10_000)) } ?? [])
                .filter { $0.suspicious != nil && $0.acknowledgedAt != nil }.compactMap(\.backupID))
            for name in job.destinations {
                let focused = DestinationOption.job(job, at: name)
                let entries: [CatalogEntry]
                do {
                    entries = try await restorer.catalog(of: focused, config: config).listing(includeIncomplete: false).entries
                } catch {
                    sections.append(.init(job: job.name, destination: name, count: nil, backups: [], error: "\(error)"))
                    continue
                }
                let verifications = history.flatMap { try? $0.lastVerifications(job: job.name, destination: name) } ?? [:]
                let here = job.only(destination: name)
                let retention = here.retention == nil ? [:] : await retentionColumn(job: here, config: config, history: history)
                let backups = entries.prefix(newest).map { entry in
                    CatalogOverview.Backup(
                        entry: entry, verification: verifications[entry.id], retention: retention[entry.id],
                        acknowledged: entry.manifest?.suspicious != nil && acknowledged.contains(entry.id))
                }
                sections.append(.init(job: job.name, destination: name, count: entries.count, backups: Array(backups)))
            }
        }
        let overview = CatalogOverview(sections: sections)
        if json {
            print(overview.json.text, terminator: "")
        } else {
            print(overview.table { config.timeZone.iso8601($0) }, terminator: "")
        }
        for section in sections {
            if let error = section.error { printError("cannot list the backups of \(section.job) at \(section.destination): \(error)") }
        }
        if !overview.complete { throw ExitCode.failure }
    }
}
