import BackupHistory
import ConfigKit
import Foundation

/// The history's account of one job at one destination, read against a listing: which backups
/// this backupd recorded as stored there, which runs ended there without a manifest, which runs
/// are still going, and which manifests prune itself deleted. Retention's second witness: a
/// listing alone never gets a backup the history calls stored deleted as "incomplete".
public struct RetentionWitness: Sendable, Hashable {
    /// Backup ids recorded as stored at the destination (manifest written), with their times.
    public var stored: [String: Date]
    /// Backup ids whose run ended at the destination without writing a manifest there.
    public var endedWithoutManifest: Set<String>
    /// Backup ids of runs still running.
    public var live: Set<String>
    /// Name stamps (`YYYYMMDDTHHMMSSZ`) of running runs that have not recorded a key yet.
    public var liveStamps: Set<String>
    /// Backup ids whose manifest prune deleted (their leftovers are explained).
    public var manifestDeleted: Set<String>
    /// Whether a history was read at all (false: nothing is known, only the age rule applies).
    public var known: Bool

    /// A witness that knows nothing (no history, e.g. a unit test's pruner).
    public static let unknown = RetentionWitness(
        stored: [:], endedWithoutManifest: [], live: [], liveStamps: [], manifestDeleted: [], known: false)

    /// Describes the evidence.
    public init(
        stored: [String: Date], endedWithoutManifest: Set<String>, live: Set<String>, liveStamps: Set<String>,
        manifestDeleted: Set<String>, known: Bool = true
    ) {
        self.stored = stored
        self.endedWithoutManifest = endedWithoutManifest
        self.live = live
        self.liveStamps = liveStamps
        self.manifestDeleted = manifestDeleted
        self.known = known
    }

    /// The evidence from `traces` (a job's runs at one destination) and the manifest keys prune
    /// deleted there, for keys under `grammar`; runs recorded for another bucket are left out.
    public init(traces: [BackupRunTrace], deletedManifests: Set<String>, grammar: BackupNameGrammar, bucket: String?) {
        var stored: [String: Date] = [:]
        var ended = Set<String>()
        var live = Set<String>()
        var liveStamps = Set<String>()
        for trace in traces {
            if let bucket, let recorded = trace.bucket, recorded != bucket { continue }
            let id = trace.objectKey.flatMap { grammar.parse($0)?.backupID }
            switch trace.status {
            case .running:
                if let id { live.insert(id) } else { liveStamps.insert(ObjectName.timestamp(trace.startedAt)) }
            case .succeeded:
                if let id { stored[id] = grammar.parse(trace.objectKey!)?.time ?? trace.startedAt }
            case .failed, .interrupted, .partial, .claimed:
                if let id { ended.insert(id) }
            case .skipped:
                break
            }
        }
        let deleted = Set(deletedManifests.compactMap { grammar.parse($0)?.backupID })
        self.init(
            stored: stored.filter { !deleted.contains($0.key) }, endedWithoutManifest: ended.subtracting(stored.keys), live: live,
            liveStamps: liveStamps, manifestDeleted: deleted)
    }

    /// The history's evidence for `job` (focused on one destination) at `destination` about
    /// `backups` (those without a manifest in the listing), and the job's running runs.
    public static func read(
        from history: HistoryStore, job: JobConfig, destination: DestinationConfig, about backups: [CatalogBackup]
    ) throws -> RetentionWitness {
        let grammar = BackupNameGrammar(job: job)
        let manifests = backups.map { ObjectName.manifestKey(prefix: job.prefix, backupID: $0.id) }
        return RetentionWitness(
            traces: try history.traces(job: job.name, destination: destination.name, seconds: backups.map(\.time)),
            deletedManifests: try history.deletedKeys(job: job.name, destination: destination.name, among: manifests),
            grammar: grammar, bucket: destination.bucket)
    }

    /// The history's newest backups stored at `destination` (from the newest `limit` runs that
    /// stored anything), less those whose manifest prune deleted: what `newestStored` reads.
    public static func readNewest(
        from history: HistoryStore, job: JobConfig, destination: DestinationConfig, limit: Int = 20
    ) throws -> RetentionWitness {
        let grammar = BackupNameGrammar(job: job)
        let traces = try history.newestStoringTraces(job: job.name, destination: destination.name, limit: limit)
            .filter { $0.status == .succeeded }
        let manifests = traces.compactMap { $0.objectKey.flatMap { grammar.parse($0)?.backupID } }
            .map { ObjectName.manifestKey(prefix: job.prefix, backupID: $0) }
        return RetentionWitness(
            traces: traces, deletedManifests: try history.deletedKeys(job: job.name, destination: destination.name, among: manifests),
            grammar: grammar, bucket: destination.bucket)
    }

    /// Whether `backup` belongs to a run that is still running.
    public func isLive(_ backup: CatalogBackup) -> Bool {
        live.contains(backup.id) || liveStamps.contains(ObjectName.timestamp(backup.time))
    }

    /// The newest backup recorded as stored, if any.
    public var newestStored: (id: String, time: Date)? {
        stored.max { ($0.value, $0.key) < ($1.value, $1.key) }.map { ($0.key, $0.value) }
    }
}
