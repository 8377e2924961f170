import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// `backupd list JOB`: one job's backups at one destination, with what the history says of them.
public struct BackupListing: Sendable {
    /// The job, its first destination the one listed.
    public var job: JobConfig
    /// The backups, newest first (incomplete ones only when asked for).
    public var entries: [CatalogEntry]
    /// Objects under the job's prefix that are no backup name (only when asked for).
    public var strangers: [StoredObject]
    /// Each backup's last verification at this destination, by backup id.
    public var verifications: [String: VerificationRecord]
    /// Suspicious backups whose suspicion was acknowledged since (the manifest says it was suspicious when taken).
    public var acknowledged: Set<String>
    /// The history read (read-only), when there is one.
    public var history: HistoryStore?

    /// The JSON document (docs/json.md).
    public func json() throws -> String {
        try CatalogRenderer.json(entries, verifications: verifications, strangers: strangers, acknowledged: acknowledged)
    }

    /// The table, times in the job's zone, within `width` columns when given.
    public func table(retention: [String: String], width: Int?) -> String {
        CatalogRenderer.table(entries, verifications: verifications, retention: retention, acknowledged: acknowledged, width: width) {
            job.timeZone.iso8601($0)
        }
    }

    /// The strangers' lines (empty when there are none).
    public var strangersText: String { CatalogRenderer.strangers(strangers) }

    /// The note for stderr when the job has no backups.
    public var emptyNote: String { "no backups of \(job.name) under \(ObjectName.listPrefix(prefix: job.prefix, job: job.name)) yet" }
}

extension JobBackups {
    /// Lists `job`'s backups at its first destination (incomplete ones and strangers with `all`)
    /// and reads their verifications and acknowledgements from the history when it can be read.
    /// Throws when the destination cannot be listed.
    public func listing(of job: JobConfig, all: Bool) async throws -> BackupListing {
        let listing = try await catalog(of: job).listing(includeIncomplete: all)
        let history = try? HistoryStore(stateDirectory: config.stateDirectory, readOnly: true)
        return BackupListing(
            job: job, entries: listing.entries, strangers: all ? listing.strangers : [],
            verifications: history.flatMap { try? $0.lastVerifications(job: job.name, destination: job.destination) } ?? [:],
            acknowledged: Self.acknowledged(job: job.name, history: history), history: history)
    }

    /// What retention decides for each backup listed, by backup id: the listed destination's own
    /// policy, when the job sets one there; empty otherwise.
    public func retentionColumn(of listing: BackupListing, logger: Logger, warn: (String) -> Void) async -> [String: String] {
        let here = listing.job.only(destination: listing.job.destination)
        return here.retention == nil ? [:] : await retentionColumn(job: here, history: listing.history, logger: logger, warn: warn)
    }

    /// Every job's `newest` backups at each of its destinations, with their verification,
    /// retention decision and acknowledgement; a destination that cannot be listed is a section
    /// with its error. The history is read only when it exists (a warning to `warn` otherwise).
    public func overview(newest: Int, logger: Logger, warn: (String) -> Void) async -> CatalogOverview {
        let history = CommandHistory.existing(config, warn: warn)
        var sections: [CatalogOverview.Section] = []
        for job in config.jobs {
            let acknowledged = Self.acknowledged(job: job.name, history: history)
            for name in job.destinations {
                let entries: [CatalogEntry]
                do {
                    entries = try await catalog(of: job.focused(on: name)).listing(includeIncomplete: false).entries
                } catch {
                    sections.append(.init(job: job.name, destination: name, count: nil, backups: [], error: "\(error)"))
                    continue
                }
                let verifications = history.flatMap { try? $0.lastVerifications(job: job.name, destination: name) } ?? [:]
                let here = job.only(destination: name)
                let retention = here.retention == nil ? [:] : await retentionColumn(job: here, history: history, logger: logger, warn: warn)
                let backups = entries.prefix(newest).map { entry in
                    CatalogOverview.Backup(
                        entry: entry, verification: verifications[entry.id], retention: retention[entry.id],
                        acknowledged: entry.manifest?.suspicious != nil && acknowledged.contains(entry.id))
                }
                sections.append(.init(job: job.name, destination: name, count: entries.count, backups: Array(backups)))
            }
        }
        return CatalogOverview(sections: sections)
    }
}
