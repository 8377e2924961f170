import ConfigKit
import Foundation

/// Reads what `backupd fleet` judges from the bucket alone: a job's backups (the catalog of its
/// first destination, where its claims live too) and its claim objects.
public struct FleetReader: Sendable {
    /// Opens a destination's store.
    public let stores: any ObjectStoreProvider

    /// A reader over `stores`.
    public init(stores: any ObjectStoreProvider) {
        self.stores = stores
    }

    /// The status of `job` at `now`; throws when its destination cannot be listed or a claim read.
    public func status(of job: JobConfig, config: BackupConfig, now: Date) async throws -> FleetJobStatus {
        guard let destination = config.destination(named: job.destination) else {
            throw FleetReadError.noDestination(job: job.name, destination: job.destination)
        }
        let store = try stores.store(for: destination)
        let entries = try await BackupCatalog(store: store, job: job).entries()
        var claims: [ClaimRecord] = []
        let folder = ClaimKey.folder(prefix: job.prefix, job: job.name)
        // Slot claims only: the job's prune and sweep claims (and probe objects) share the folder.
        for object in try await store.list(prefix: folder) where ClaimKey.slot(ofKey: object.key, folder: folder) != nil {
            claims.append(try ClaimRecord.decode(try await store.read(key: object.key), key: object.key))
        }
        return FleetJobStatus.compute(job: job, entries: entries, claims: claims, now: now)
    }
}

/// Why `backupd fleet` could not read a job.
public enum FleetReadError: Error, Sendable, CustomStringConvertible {
    /// The job names a destination the config lacks.
    case noDestination(job: String, destination: String)

    public var description: String {
        switch self {
        case .noDestination(let job, let destination):
            return "job \(job) writes to destination \(destination), which the config does not define; fix the config (backupd validate)"
        }
    }
}
