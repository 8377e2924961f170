import BackupCore
import Foundation

/// One full listing of a PITR job's WAL archive (`{prefix}/{job}/wal/`), read as evidence: a key
/// counts as a WAL file only when the whole key matches the grammar
/// `{timeline}/{name}.zst[.age]` with the name's own timeline; anything else is a stranger,
/// never deleted and never counted as WAL.
public struct WALListing: Sendable, Hashable {
    /// One archived WAL file and its object.
    public struct File: Sendable, Hashable {
        /// The WAL file's name.
        public var name: WALFileName
        /// Its object key.
        public var key: String
        /// When the object was written (nil when the listing did not say).
        public var lastModified: Date?
    }

    /// Every WAL file, in key order.
    public var files: [File]
    /// Keys under the archive's folder that are no WAL file name.
    public var strangers: [String]

    /// Sorts the objects listed under `archivePrefix` into WAL files and strangers.
    public init(objects: [StoredObject], archivePrefix: String) {
        var files: [File] = []
        var strangers: [String] = []
        for object in objects.sorted(by: { $0.key < $1.key }) {
            if let name = Self.parse(key: object.key, archivePrefix: archivePrefix) {
                files.append(File(name: name, key: object.key, lastModified: object.lastModified))
            } else {
                strangers.append(object.key)
            }
        }
        self.files = files
        self.strangers = strangers
    }

    /// The WAL file a key holds, or nil when the whole key is not `{archivePrefix}{timeline}/{name}.zst[.age]`.
    static func parse(key: String, archivePrefix: String) -> WALFileName? {
        guard key.hasPrefix(archivePrefix) else { return nil }
        var rest = Substring(key.dropFirst(archivePrefix.count))
        if rest.hasSuffix(".age") { rest = rest.dropLast(4) }
        guard rest.hasSuffix(".zst") else { return nil }
        rest = rest.dropLast(4)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let name = WALFileName(String(parts[1])), parts[0] == LSN.hex8(UInt64(name.timeline)) else { return nil }
        return name
    }

    /// The segment numbers archived on each timeline (whole segments only, not `.partial`).
    public var segmentsByTimeline: [UInt32: Set<UInt64>] {
        var result: [UInt32: Set<UInt64>] = [:]
        for file in files where file.name.kind == .segment {
            if let number = file.name.segmentNumber { result[file.name.timeline, default: []].insert(number) }
        }
        return result
    }

    /// The newest whole segment (highest timeline, then highest number) and when it was stored.
    public var newestSegment: File? {
        files.filter { $0.name.kind == .segment }.max { ($0.name.timeline, $0.name.name) < ($1.name.timeline, $1.name.name) }
    }
}

extension WALFileName {
    /// The segment number (LSN / segment size) of a segment, `.partial` or `.backup` file; nil for history files.
    public var segmentNumber: UInt64? {
        guard kind != .history else { return nil }
        let digits = name.utf8.dropFirst(8).prefix(16)
        guard digits.count == 16, let log = UInt64(String(decoding: digits.prefix(8), as: UTF8.self), radix: 16),
              let segment = UInt64(String(decoding: digits.dropFirst(8), as: UTF8.self), radix: 16) else { return nil }
        return log * WALFileName.segmentsPerLogID + segment
    }

    /// Segments per 4 GiB log id (256 with 16 MiB segments).
    static let segmentsPerLogID = 0x1_0000_0000 / LSN.segmentSize

    /// The name of segment `number` on `timeline`.
    public static func segmentName(timeline: UInt32, number: UInt64) -> String {
        LSN.hex8(UInt64(timeline)) + LSN.hex8(number / segmentsPerLogID) + LSN.hex8(number % segmentsPerLogID)
    }
}
