/// The cheap format check a dump's uncompressed bytes must pass before its backup is called good:
/// the engine's magic at the head, its completion marker at the tail, or at least one byte. The
/// same markers `verify` checks (`FormatCheck`), read as the stream goes by (see `DumpInspector`).
public enum DumpCheck: Sendable, Hashable {
    /// Anything goes, even nothing (a `command` job with `"allowEmpty": true`).
    case none
    /// At least one byte (a `command` job).
    case nonEmpty
    /// pg_dump's custom format: the `PGDMP` magic.
    case postgresCustom
    /// Text that must end with this marker (mysqldump's `-- Dump completed`, pg_dumpall's
    /// `-- PostgreSQL database cluster dump complete`).
    case trailer(String)
    /// A Redis RDB file: `REDIS` and a version, the EOF opcode, and its CRC-64 when it has one.
    case redisRDB
    /// A mongodump archive: its magic number.
    case mongoArchive
    /// A `pg_basebackup` tar stream (`BaseBackupInspector`): tar structure, `backup_label`, WAL range.
    case postgresBaseTar

    /// The marker pg_dumpall writes last.
    public static let pgDumpallTrailer = "-- PostgreSQL database cluster dump complete"
    /// The marker mysqldump (and mariadb-dump) write last.
    public static let mysqldumpTrailer = "-- Dump completed"
    /// pg_dump's custom-format magic.
    package static let pgdmp: [UInt8] = Array("PGDMP".utf8)
    /// The mongodump archive magic 0x8199e26d, little-endian.
    package static let mongoMagic: [UInt8] = [0x6D, 0xE2, 0x99, 0x81]

    /// What the check looks for, for messages (`a PGDMP header`).
    public var expectation: String {
        switch self {
        case .none: return "anything"
        case .nonEmpty: return "at least one byte"
        case .postgresCustom: return "a PGDMP header"
        case .trailer(let marker): return "the \"\(marker)\" trailer"
        case .redisRDB: return "an RDB file (REDIS magic, EOF marker, checksum)"
        case .mongoArchive: return "the mongodump archive magic"
        case .postgresBaseTar: return "a base backup tar archive (backup_label, pg_control, backup_manifest)"
        }
    }
}
