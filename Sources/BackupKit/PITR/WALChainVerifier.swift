import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// `verify` of a PITR job's WAL: at each destination, lists the job's base backups and its whole
/// WAL archive (every page, pagination checked) and checks each base backup's chain with `WALChain`.
public struct WALChainVerifier: Sendable {
    /// One destination's chains, or why they could not be checked there.
    public struct DestinationChains: Sendable {
        /// The destination's name.
        public var destination: String
        /// Each usable base backup's chain at it, oldest first (empty: no base backup there).
        public var results: [WALChain.Result]
        /// Why the destination could not be read (then `results` is empty).
        public var error: String?
        /// When its check started and ended.
        public var startedAt: Date
        public var endedAt: Date

        /// Whether a base backup is there and every chain from one is complete.
        public var isComplete: Bool { error == nil && !results.isEmpty && results.allSatisfy(\.isComplete) }
    }

    /// The `backupID` of the history rows the chain checks are recorded under.
    public static let historyID = "wal-chain"

    /// Opens destinations' stores.
    public let stores: any ObjectStoreProvider

    /// A verifier reading through `stores`.
    public init(stores: any ObjectStoreProvider) {
        self.stores = stores
    }

    /// The chains of `job` at each of `destinations` (every destination of the job when nil).
    public func checkAll(job: JobConfig, config: BackupConfig, destinations: [String]? = nil, clock: any WallClock, logger: Logger) async throws -> [DestinationChains] {
        guard job.pitr != nil else { throw WALError.notPITRJob(job: job.name) }
        var all: [DestinationChains] = []
        for name in destinations ?? job.destinations {
            let started = clock.now()
            var log = logger
            log[metadataKey: "s3.destination"] = "\(name)"
            do {
                let results = try await check(job: job, at: name, config: config, logger: log)
                all.append(DestinationChains(destination: name, results: results, startedAt: started, endedAt: clock.now()))
            } catch {
                all.append(DestinationChains(destination: name, results: [], error: "\(error)", startedAt: started, endedAt: clock.now()))
            }
        }
        return all
    }

    /// The chain of every usable base backup of `job` at its (first) destination, oldest first.
    public func check(job: JobConfig, config: BackupConfig, logger: Logger) async throws -> [WALChain.Result] {
        try await check(job: job, at: job.destination, config: config, logger: logger)
    }

    /// The chain of every usable base backup of `job` at the destination `name`, oldest first.
    public func check(job: JobConfig, at name: String, config: BackupConfig, logger: Logger) async throws -> [WALChain.Result] {
        guard job.pitr != nil else { throw WALError.notPITRJob(job: job.name) }
        guard let destination = config.destination(named: name) else {
            throw PruneError.noDestination(job: job.name, destination: name)
        }
        let store = try stores.store(for: destination, logger: logger)
        let bases = try await BackupCatalog(store: store, job: job).entries().compactMap { entry -> WALRetentionPlan.KeptBase? in
            guard entry.isUsable, let manifest = entry.manifest, let info = manifest.baseBackup else { return nil }
            return .init(id: entry.id, endedAt: manifest.endedAt, info: info)
        }.sorted { $0.endedAt < $1.endedAt }
        let prefix = WALFileName.archivePrefix(prefix: job.prefix, job: job.name)
        let listing = WALListing(objects: try await store.list(prefix: prefix), archivePrefix: prefix)
        let results = WALChain.check(listing: listing, bases: bases)
        for result in results where !result.isComplete {
            logger.warning("WAL chain has a gap", metadata: [
                "job.name": "\(job.name)", "backup.id": "\(result.base.id)", "wal.missing": "\(result.missing.first ?? "")",
            ])
        }
        return results
    }
}

extension WALChainVerifier.DestinationChains {
    /// The history row of this check (`backupID` `wal-chain`, the destination named): passed when
    /// every chain is complete and `baseFailed` is false (the base backup verified in the same run
    /// at this destination failed: the newer chain row must not hide that); `error` names each gap.
    public func record(job: String, trigger: VerificationRecord.Trigger, baseFailed: Bool, render: (WALChain.Result) -> String) -> VerificationRecord {
        var problems: [String] = []
        if let error { problems.append("WAL chain of \(job) at \(destination) could not be checked: \(error)") }
        if error == nil, results.isEmpty { problems.append("WAL chain of \(job) at \(destination): no base backup to check it from") }
        problems += results.filter { !$0.isComplete }.map(render)
        if baseFailed { problems.append("the base backup verified at \(destination) in the same run failed (see its row)") }
        return VerificationRecord(
            job: job, backupID: WALChainVerifier.historyID, manifestKey: nil, trigger: trigger, startedAt: startedAt, endedAt: endedAt,
            passed: problems.isEmpty, objects: results.count, error: problems.isEmpty ? nil : problems.joined(separator: "\n"), destination: destination)
    }
}
