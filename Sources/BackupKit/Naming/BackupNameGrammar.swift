import BackupCore
import ConfigKit
import Foundation

/// The exact names backupd writes for one job, read case-sensitively over the whole key:
/// `{prefix}/{job}-{YYYYMMDDTHHMMSSZ}-{8 lower-case hex}` followed by `.manifest.json`, or by a
/// data extension (the engines' dump and globals extensions, or the job's `command` extension),
/// then optionally `.zst`/`.gz`, `.age` and a segment number (`.001`, `.002`, ..., `.1000`).
/// Token-less names from before manifests (`{job}-{stamp}{data suffix}`) match the same data
/// suffixes. Any other key under the job's prefix is a stranger: retention never deletes it.
public struct BackupNameGrammar: Sendable, Hashable {
    /// The job's object-name prefix.
    public var prefix: String
    /// The job's name.
    public var job: String
    /// The data extensions a backup object may start its suffix with.
    public var dataExtensions: [String]

    /// The dump and globals extensions of every engine backupd knows (`command` adds its own).
    public static let engineExtensions = [".dump", ".globals.sql", ".sql", ".archive", ".rdb"]
    /// The compression extensions (a job's compression may have changed since older backups).
    public static let compressionExtensions = [".zst", ".gz"]

    /// The grammar of `job` under `prefix`, with `extraExtensions` beside the engines' own.
    public init(prefix: String, job: String, extraExtensions: [String] = []) {
        self.prefix = prefix
        self.job = job
        self.dataExtensions = Self.engineExtensions + extraExtensions.filter { !Self.engineExtensions.contains($0) }
    }

    /// The grammar of a configured job (a `command` job's own extension included).
    public init(job: JobConfig) {
        var extra: [String] = []
        if case .command(let connection) = job.connection { extra.append(connection.fileExtension) }
        self.init(prefix: job.prefix, job: job.name, extraExtensions: extra)
    }

    /// The parts of `key` when the whole key is a name of this job's backups; nil otherwise.
    public func parse(_ key: String) -> ObjectName.Parsed? {
        guard let parsed = ObjectName.parse(key, prefix: prefix, job: job) else { return nil }
        // The stamp must be a real instant written back the same way (no 20261332T...).
        let start = ObjectName.listPrefix(prefix: prefix, job: job)
        let stamp = String(decoding: key.utf8.dropFirst(start.utf8.count).prefix(16), as: UTF8.self)
        guard ObjectName.timestamp(parsed.time) == stamp else { return nil }
        if parsed.suffix == ObjectName.manifestSuffix { return parsed.token == nil ? nil : parsed }
        return isDataSuffix(parsed.suffix) ? parsed : nil
    }

    /// True when `key` is one of this job's backup objects or manifests.
    public func matches(_ key: String) -> Bool { parse(key) != nil }

    /// True when `key` is, whole, a backup name of some other job whose name begins with this
    /// job's name and a dash (`app-old` beside `app`): the neighbour's, not a stranger here.
    public func isNeighbours(_ key: String) -> Bool {
        let start = ObjectName.listPrefix(prefix: prefix, job: job)
        guard key.hasPrefix(start) else { return false }
        let name = Array(key.utf8.dropFirst(prefix.isEmpty ? 0 : prefix.utf8.count + 1))
        // Every `-` after the job's name could end a longer job name; try each.
        var index = job.utf8.count + 1
        while index < name.count {
            if name[index] == UInt8(ascii: "-") {
                let other = String(decoding: name[..<index], as: UTF8.self)
                if BackupNameGrammar(prefix: prefix, job: other, extraExtensions: dataExtensions).matches(key) { return true }
            }
            index += 1
        }
        return false
    }

    /// `{data extension}[.zst|.gz][.age][.NNN]`, exactly.
    func isDataSuffix(_ suffix: String) -> Bool {
        for ext in dataExtensions where suffix.hasPrefix(ext) {
            var rest = Substring(suffix.dropFirst(ext.count))
            if let compression = Self.compressionExtensions.first(where: { rest.hasPrefix($0) }) { rest = rest.dropFirst(compression.count) }
            if rest.hasPrefix(BackupRunner.encryptedSuffix) { rest = rest.dropFirst(BackupRunner.encryptedSuffix.count) }
            if rest.isEmpty || Self.isSegmentNumber(rest) { return true }
        }
        return false
    }

    /// `.001` ... `.999`, `.1000` ...: what `StreamReceipt.segmentKey` writes for an index >= 1.
    static func isSegmentNumber(_ text: Substring) -> Bool {
        guard text.first == ".", let index = Int(text.dropFirst()), index >= 1 else { return false }
        return StreamReceipt.segmentKey("", index: index) == String(text)
    }
}
