import BackupCore
import ConfigKit
import Foundation

/// Backups read from object names alone: keys that match `BackupNameGrammar` whole are grouped
/// by backup id and complete when `{id}.manifest.json` is among them; token-less
/// `{job}-{stamp}{suffix}` objects are legacy backups. Keys of another job (`app-old` for `app`)
/// are never returned; a stranger's only as a stranger.
public struct NameCatalog: RetentionCatalog {
    /// The suffix of a manifest after the backup id.
    public static let manifestSuffix = ".manifest.json"

    /// A catalog.
    public init() {}

    public func backups(of job: JobConfig, in store: any BackupObjectStore) async throws -> [CatalogBackup] {
        try await listing(of: job, in: store).backups
    }

    public func listing(of job: JobConfig, in store: any BackupObjectStore) async throws -> RetentionListing {
        let keys = try await store.list(prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name)).map(\.key)
        let grammar = BackupNameGrammar(job: job)
        return RetentionListing(
            backups: Self.group(keys.filter(grammar.matches), prefix: job.prefix, job: job.name, grammar: grammar),
            strangers: keys.filter { !grammar.matches($0) && !grammar.isNeighbours($0) }.sorted())
    }

    /// Groups `keys` into backups of `job`, oldest first; keys that are not such a backup's are left out.
    public static func group(_ keys: [String], prefix: String, job: String, grammar: BackupNameGrammar? = nil) -> [CatalogBackup] {
        let grammar = grammar ?? BackupNameGrammar(prefix: prefix, job: job)
        var byID: [String: CatalogBackup] = [:]
        for key in keys.sorted() {
            guard let found = grammar.parse(key) else { continue }
            let parsed = (id: found.backupID, time: found.time, suffix: found.suffix, legacy: found.token == nil)
            var backup = byID[parsed.id] ?? CatalogBackup(id: parsed.id, time: parsed.time, manifestKey: nil, dataKeys: [], legacy: parsed.legacy)
            if !parsed.legacy && parsed.suffix == manifestSuffix {
                backup.manifestKey = key
            } else {
                backup.dataKeys.append(key)
            }
            byID[parsed.id] = backup
        }
        return byID.values.sorted { $0.time != $1.time ? $0.time < $1.time : $0.id < $1.id }
    }

    /// The id of the backup `key` belongs to, or nil when it is not an object of `job`.
    public static func backupID(of key: String, prefix: String, job: String) -> String? {
        parse(key, prefix: prefix, job: job)?.id
    }

    /// The backup id, time, suffix and form of `key`, or nil when it is not, whole, an object of `job`.
    static func parse(_ key: String, prefix: String, job: String) -> (id: String, time: Date, suffix: String, legacy: Bool)? {
        guard let parsed = BackupNameGrammar(prefix: prefix, job: job).parse(key) else { return nil }
        return (parsed.backupID, parsed.time, parsed.suffix, parsed.token == nil)
    }
}
