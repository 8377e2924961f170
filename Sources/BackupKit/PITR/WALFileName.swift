/// A file PostgreSQL archives: a WAL segment (`000000010000000000000002`), a timeline history
/// (`00000002.history`), a backup history (`000000010000000000000002.00000028.backup`) or a
/// partial segment (`…​.partial`). Anything else is refused: the name becomes part of an object key.
public struct WALFileName: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of archived file.
    public enum Kind: String, Sendable {
        case segment, history, backup, partial
    }

    /// The name as PostgreSQL gave it.
    public let name: String
    /// The timeline it belongs to.
    public let timeline: UInt32
    /// What it is.
    public let kind: Kind

    /// Parses a name; nil for anything PostgreSQL does not archive.
    public init?(_ name: String) {
        let hex = { (text: Substring) in text.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) } }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let kind: Kind
        switch parts.count {
        case 1 where parts[0].count == 24: kind = .segment
        case 2 where parts[0].count == 8 && parts[1] == "history": kind = .history
        case 2 where parts[0].count == 24 && parts[1] == "partial": kind = .partial
        case 3 where parts[0].count == 24 && parts[1].count == 8 && hex(parts[1]) && parts[2] == "backup": kind = .backup
        default: return nil
        }
        guard hex(parts[0]), let timeline = UInt32(parts[0].prefix(8), radix: 16), timeline > 0 else { return nil }
        self.name = name
        self.timeline = timeline
        self.kind = kind
    }

    public var description: String { name }

    /// The folder of `timeline` in `job`'s archive: `{prefix}/{job}/wal/{timeline, 8 hex digits}/`.
    public static func timelinePrefix(prefix: String, job: String, timeline: UInt32) -> String {
        archivePrefix(prefix: prefix, job: job) + LSN.hex8(UInt64(timeline)) + "/"
    }

    /// The folder of `job`'s whole archive: `{prefix}/{job}/wal/`.
    public static func archivePrefix(prefix: String, job: String) -> String {
        (prefix.isEmpty ? "" : prefix + "/") + job + "/wal/"
    }

    /// The object key: `{prefix}/{job}/wal/{timeline}/{name}.zst` (`.age` added when encrypted).
    /// Names sort by LSN within a timeline, so listing a timeline's folder lists its WAL in order.
    public func key(prefix: String, job: String, encrypted: Bool) -> String {
        Self.timelinePrefix(prefix: prefix, job: job, timeline: timeline) + name + ".zst" + (encrypted ? ".age" : "")
    }
}
