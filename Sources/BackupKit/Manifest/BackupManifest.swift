import BackupCore
import ConfigKit
import Foundation
import SigV4

/// The record of one complete backup, PUT as `{prefix}/{backup id}.manifest.json` after every
/// data object is complete. A backup exists (for `list`, `restore`, `verify` and retention)
/// exactly when its manifest exists and parses.
public struct BackupManifest: Sendable, Hashable, Codable {
    /// The format this build writes; `parse` refuses newer ones. Format 2 lets an object carry
    /// its parts' digests (`parts`, `partsSha256`) instead of a whole-stream `sha256`.
    public static let currentFormatVersion = 2

    /// The manifest format's version.
    public var formatVersion: Int
    /// `{job}-{stamp}-{token}`, also the start of every object's name.
    public var backupId: String
    /// The job's name.
    public var job: String
    /// The engine (`postgres`, `mysql`, `mongodb`, `redis`, `command`).
    public var engine: String
    /// The host backupd ran on.
    public var host: String
    /// Why the run started (`schedule`, `run-now`, `catch-up`).
    public var trigger: String?
    /// The run's id in the history of `host`.
    public var runId: Int64?
    /// When the run started (UTC).
    public var startedAt: Date
    /// When the last object was complete (UTC).
    public var endedAt: Date
    /// The dump tool and its version.
    public var tool: Tool
    /// The database server's version, when the engine reports one.
    public var serverVersion: String?
    /// The backupd that wrote the backup.
    public var backupd: Tool
    /// `zstd`, `gzip` or `none`: how every object is compressed.
    public var compression: String
    /// How the objects are encrypted; nil when they are not.
    public var encryption: Encryption?
    /// The destination's name in the config.
    public var destination: String
    /// Its bucket.
    public var bucket: String
    /// The same backup stored at other destinations (empty for a single-destination job).
    public var copies: [Copy]
    /// The data objects, the main dump first.
    public var objects: [Object]
    /// Why the backup was suspicious when it was taken (far smaller than its recent peers); nil
    /// when it was not. An acknowledgement lives in the history, never here (a manifest is written once).
    public var suspicious: String? = nil
    /// The job's `tables` selection when the backup was taken: the dump holds only those tables
    /// (or some without rows), a partial backup. nil for a whole-database backup.
    public var tables: TableSelection? = nil
    /// A PITR job's base backup: its start and stop in the WAL (nil for dumps).
    public var baseBackup: BaseBackupInfo? = nil
    /// A `runOn: "any"` backup's claim: the host that held the slot and its fencing number (nil
    /// for a job that runs on this host alone).
    public var claim: ManifestClaim? = nil

    /// A program's name and version.
    public struct Tool: Sendable, Hashable, Codable {
        /// The program (`pg_dump`, `backupd`).
        public var name: String
        /// Its version as it reports it.
        public var version: String

        /// Names a program.
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// The encryption layer of the objects.
    public struct Encryption: Sendable, Hashable, Codable {
        /// The scheme, e.g. `age`.
        public var scheme: String
        /// Public identities of who can decrypt (never a secret).
        public var recipients: [String]

        /// Describes an encryption layer.
        public init(scheme: String, recipients: [String]) {
            self.scheme = scheme
            self.recipients = recipients
        }
    }

    /// A sibling copy of the backup at another destination.
    public struct Copy: Sendable, Hashable, Codable {
        /// The destination's name.
        public var destination: String
        /// Its bucket.
        public var bucket: String
        /// The manifest key there.
        public var manifestKey: String

        /// Describes a copy.
        public init(destination: String, bucket: String, manifestKey: String) {
            self.destination = destination
            self.bucket = bucket
            self.manifestKey = manifestKey
        }
    }

    /// One stored stream (the dump, PostgreSQL's globals).
    public struct Object: Sendable, Hashable, Codable {
        /// `dump` for the main object, `globals` for PostgreSQL's roles.
        public var role: String
        /// The object key (the first segment's when the stream is segmented).
        public var key: String
        /// The tool that wrote the stream.
        public var tool: String
        /// Bytes of the whole stream.
        public var size: Int64
        /// Lower-case hex SHA-256 of the whole stream: format 1, and backups without a manifest;
        /// nil when the stream is digested by its parts.
        public var sha256: String?
        /// Format 2, an unsegmented object: each part's size and SHA-256 (the digest its upload
        /// was signed with and the server checked), in order. Segments carry their own.
        public var parts: [PartDigest]?
        /// Format 2: the SHA-256 over every part's digest in stream order (binary, concatenated).
        public var partsSha256: String?
        /// The first part's size (0 when unknown, for backups without a manifest).
        public var partSize: Int
        /// Parts of the multipart upload (0 when unknown).
        public var partCount: Int
        /// The ETag S3 returned.
        public var etag: String
        /// When the stream outgrew one object: its objects in order, read as one stream.
        public var segments: [Segment]?

        /// Describes an object.
        public init(
            role: String, key: String, tool: String, size: Int64, sha256: String?, partSize: Int, partCount: Int, etag: String,
            segments: [Segment]? = nil, parts: [PartDigest]? = nil, partsSha256: String? = nil
        ) {
            self.role = role
            self.key = key
            self.tool = tool
            self.size = size
            self.sha256 = sha256
            self.partSize = partSize
            self.partCount = partCount
            self.etag = etag
            self.segments = segments
            self.parts = parts
            self.partsSha256 = partsSha256
        }

        /// The objects to read in order: the segments, or the object itself.
        public var pieces: [Segment] {
            if let segments, !segments.isEmpty { return segments }
            return [Segment(key: key, size: size, sha256: sha256, partSize: partSize, partCount: partCount, etag: etag, parts: parts)]
        }

        /// Whether the stream is digested by its parts (format 2) rather than as a whole.
        public var isDigestedByParts: Bool { sha256 == nil }

        /// The stream's digest as `list`, the history and `verify` show it: the whole stream's
        /// SHA-256, or `PartDigest.label` of `partsSha256`.
        public var digest: String {
            sha256 ?? PartDigest.label(composite: partsSha256 ?? "", parts: pieces.reduce(0) { $0 + ($1.parts?.count ?? 0) })
        }
    }

    /// One object of a segmented stream.
    public struct Segment: Sendable, Hashable, Codable {
        /// Its key (`….dump.zst.001`).
        public var key: String
        /// Its bytes.
        public var size: Int64
        /// Its own SHA-256 (nil when it is digested by its parts).
        public var sha256: String?
        /// Format 2: each part's size and SHA-256, in order.
        public var parts: [PartDigest]?
        /// Its first part's size.
        public var partSize: Int
        /// Its part count.
        public var partCount: Int
        /// Its ETag.
        public var etag: String

        /// Describes a segment.
        public init(
            key: String, size: Int64, sha256: String?, partSize: Int, partCount: Int, etag: String, parts: [PartDigest]? = nil
        ) {
            self.key = key
            self.size = size
            self.sha256 = sha256
            self.partSize = partSize
            self.partCount = partCount
            self.etag = etag
            self.parts = parts
        }

        /// Its digest as `verify` shows it: its SHA-256, or `PartDigest.label` over its parts.
        public var digest: String {
            sha256 ?? PartDigest.label(composite: SHA256.composite(ofHex: (parts ?? []).map(\.sha256)), parts: parts?.count ?? 0)
        }
    }

    /// Describes a backup.
    public init(
        backupId: String, job: String, engine: String, host: String, trigger: String?, runId: Int64?, startedAt: Date,
        endedAt: Date, tool: Tool, serverVersion: String?, backupd: Tool, compression: String, encryption: Encryption?,
        destination: String, bucket: String, copies: [Copy], objects: [Object]
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.backupId = backupId
        self.job = job
        self.engine = engine
        self.host = host
        self.trigger = trigger
        self.runId = runId
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.tool = tool
        self.serverVersion = serverVersion
        self.backupd = backupd
        self.compression = compression
        self.encryption = encryption
        self.destination = destination
        self.bucket = bucket
        self.copies = copies
        self.objects = objects
    }

    /// Total bytes of every object.
    public var totalSize: Int64 { objects.reduce(0) { $0 + $1.size } }

    /// The main object (the dump).
    public var primary: Object? { objects.first { $0.role == "dump" } ?? objects.first }

    /// Every key the backup's data occupies, segments included (not the manifest).
    public var dataKeys: [String] { objects.flatMap { $0.pieces.map(\.key) } }

    enum CodingKeys: String, CodingKey {
        case formatVersion, backupId, job, engine, host, trigger, runId, startedAt, endedAt, tool, serverVersion, backupd
        case compression, encryption, destination, bucket, copies, objects, tables, suspicious, baseBackup, claim
    }

    /// Writes every key, `null` included, so a reader sees which fields are empty.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(backupId, forKey: .backupId)
        try c.encode(job, forKey: .job)
        try c.encode(engine, forKey: .engine)
        try c.encode(host, forKey: .host)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(runId, forKey: .runId)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(tool, forKey: .tool)
        try c.encode(serverVersion, forKey: .serverVersion)
        try c.encode(backupd, forKey: .backupd)
        try c.encode(compression, forKey: .compression)
        try c.encode(encryption, forKey: .encryption)
        try c.encode(destination, forKey: .destination)
        try c.encode(bucket, forKey: .bucket)
        try c.encode(copies, forKey: .copies)
        try c.encode(objects, forKey: .objects)
        // Only a suspicious backup's manifest has the key, so every other manifest stays as it was.
        try c.encodeIfPresent(suspicious, forKey: .suspicious)
        try c.encode(tables, forKey: .tables)
        try c.encodeIfPresent(baseBackup, forKey: .baseBackup)
        try c.encodeIfPresent(claim, forKey: .claim)
    }

    /// Whether the backup holds only some tables (or some without rows).
    public var isPartial: Bool { tables != nil }
}
