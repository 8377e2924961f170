import BackupCore
import ConfigKit
import Foundation

/// Reads what `backupd fleet` judges from the bucket alone: a job's backups (the catalog of every
/// destination it writes to) and its claim objects (in its first destination, where they live).
public struct FleetReader: Sendable {
    /// Opens a destination's store.
    public let stores: any ObjectStoreProvider

    /// A reader over `stores`.
    public init(stores: any ObjectStoreProvider) {
        self.stores = stores
    }

    /// The status of `job` at `now` across its destinations; throws when one of them cannot be
    /// listed or a claim read (a status from part of the destinations could call a slot missed
    /// that the unread one holds).
    public func status(of job: JobConfig, config: BackupConfig, now: Date) async throws -> FleetJobStatus {
        var catalogs: [(destination: String, entries: [CatalogEntry])] = []
        var claims: [ClaimRecord] = []
        for (index, name) in job.destinations.enumerated() {
            guard let destination = config.destination(named: name) else {
                throw FleetReadError.noDestination(job: job.name, destination: name)
            }
            let store = try stores.store(for: destination)
            let focused = job.only(destination: name)
            do {
                catalogs.append((name, try await BackupCatalog(store: store, job: focused).entries()))
                if index == 0 { claims = try await Self.claims(of: job, in: store) }
            } catch {
                throw FleetReadError.unreadable(job: job.name, destination: name, reason: "\(error)")
            }
        }
        return FleetJobStatus.compute(job: job, catalogs: catalogs, claims: claims, now: now)
    }

    /// The job's run-slot claims in `store` (its prune and sweep claims and probe objects share the folder).
    static func claims(of job: JobConfig, in store: any BackupObjectStore) async throws -> [ClaimRecord] {
        var claims: [ClaimRecord] = []
        let folder = ClaimKey.folder(prefix: job.prefix, job: job.name)
        for object in try await store.list(prefix: folder) where ClaimKey.slot(ofKey: object.key, folder: folder) != nil {
            claims.append(try ClaimRecord.decode(try await store.read(key: object.key), key: object.key))
        }
        return claims
    }
}

/// Why `backupd fleet` could not read a job.
public enum FleetReadError: Error, Sendable, CustomStringConvertible {
    /// The job names a destination the config lacks.
    case noDestination(job: String, destination: String)
    /// A destination of the job could not be listed, or a claim there not read.
    case unreadable(job: String, destination: String, reason: String)

    public var description: String {
        switch self {
        case .noDestination(let job, let destination):
            return "job \(job) writes to destination \(destination), which the config does not define; fix the config (backupd validate)"
        case .unreadable(let job, let destination, let reason):
            return "job \(job): destination \(destination) could not be read (\(reason)); check it with `backupd check \(destination)`"
        }
    }
}
