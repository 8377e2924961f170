import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// A config's backups as its buckets hold them, for the commands that read them (`list`, and
/// `restore` and `verify` choosing a destination): which destination to read, each job's listing,
/// what retention would decide, and the overview of every job.
public struct JobBackups: Sendable {
    /// The config whose jobs are read.
    public let config: BackupConfig
    /// Opens the destinations' stores.
    public let stores: any ObjectStoreProvider

    /// Reads `config`'s buckets through `stores`.
    public init(config: BackupConfig, stores: any ObjectStoreProvider) {
        self.config = config
        self.stores = stores
    }

    /// Reads `config`'s buckets over S3 (libcurl), logging to `logger`.
    public init(config: BackupConfig, logger: Logger) {
        self.init(config: config, stores: S3StoreProvider(logger: logger))
    }

    /// The job's catalog at its first destination.
    public func catalog(of job: JobConfig) throws -> BackupCatalog {
        try reader.catalog(of: job, config: config)
    }

    /// Lists the catalog only (nothing is restored through it).
    private var reader: Restorer {
        Restorer(stores: stores, launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment)
    }

    /// `job` reading from `name` (which becomes its first destination). Without a name, the first
    /// destination holding a complete backup matching `object` (any backup when nil), else the
    /// job as it is. Throws when the job has no destination `name`.
    public func focus(_ job: JobConfig, on name: String?, holding object: String?) async throws(DestinationFocusError) -> JobConfig {
        if let name {
            guard job.destinations.contains(name) else { throw .unknownDestination(job: job.name, name: name, known: job.destinations) }
            return job.focused(on: name)
        }
        // The job's first is asked only once there is another destination to turn to, so a job
        // with one destination never lists for this.
        var firstAsked = false
        for name in job.destinations.dropFirst() {
            if !firstAsked {
                if await holds(object, job: job) { return job }
                firstAsked = true
            }
            let candidate = job.focused(on: name)
            if await holds(object, job: candidate) { return candidate }
        }
        return job
    }

    /// True when the job's first destination holds a complete backup matching `object` (any when nil).
    func holds(_ object: String?, job: JobConfig) async -> Bool {
        guard let entries = try? await catalog(of: job).entries(includeIncomplete: false) else { return false }
        guard let object else { return entries.contains(where: \.isUsable) }
        return entries.contains { entry in
            entry.isUsable && (entry.id == object || entry.allKeys.contains { $0 == object || $0.hasSuffix("/" + object) })
        }
    }

    /// What retention decides for each backup of `job` (`keep (last, daily)`, `delete`,
    /// `incomplete, ...`), by backup id; empty when the plan cannot be made. The history
    /// (read-only) is both the second witness and the source of suspicion: `history`, else the
    /// config's when it exists (a warning to `warn` when it cannot be read).
    public func retentionColumn(job: JobConfig, history: HistoryStore?, logger: Logger, warn: (String) -> Void) async -> [String: String] {
        let pruner = Pruner(stores: stores, history: history ?? CommandHistory.existing(config, warn: warn), clock: SystemWallClock())
        return (try? await pruner.plan(job: job, config: config, logger: logger))?.summaryByBackupID ?? [:]
    }

    /// Ids of `job`'s suspicious backups whose suspicion the history records as acknowledged.
    static func acknowledged(job: String, history: HistoryStore?) -> Set<String> {
        Set((history.flatMap { try? $0.runs(HistoryQuery(job: job, limit: 10_000)) } ?? [])
            .filter { $0.suspicious != nil && $0.acknowledgedAt != nil }.compactMap(\.backupID))
    }
}

extension JobConfig {
    /// The job reading from its destination `name`, which becomes its first; the others follow in order.
    public func focused(on name: String) -> JobConfig {
        var focused = self
        focused.destinations = [name] + destinations.filter { $0 != name }
        return focused
    }
}

/// A `--destination` the job does not have; the description is the line the command prints.
public enum DestinationFocusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `job` has no destination `name`; `known` are its destinations.
    case unknownDestination(job: String, name: String, known: [String])

    /// The job, the name, and the job's destinations.
    public var description: String {
        switch self {
        case .unknownDestination(let job, let name, let known):
            "job \(job) has no destination named \"\(name)\"; its destinations: \(known.joined(separator: ", "))"
        }
    }
}
