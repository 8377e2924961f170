import BackupCore
import SigV4

/// Reads one stored stream (an object, or its segments in order) and hashes it while it passes
/// through, once per byte: by the parts the manifest lists (format 2: each part against its
/// digest, the one the server checked at upload), or as a whole stream (format 1 and backups
/// without a manifest, and then each segment against its own digest too).
struct BackupStreamReader {
    /// What was read.
    struct Digest {
        /// Bytes read.
        var size: Int64
        /// What was read, digested as the manifest digests the object (`BackupManifest.Object.digest`).
        var sha256: String
        /// Segments or parts whose size or digest differs from the manifest, each named.
        var segmentProblems: [String]
    }

    let store: any BackupObjectStore

    /// Streams `object` to `sink` chunk by chunk; throws when a piece cannot be read.
    func read(_ object: BackupManifest.Object, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws -> Digest {
        let whole = object.isDigestedByParts ? nil : SHA256Hasher()
        var total: Int64 = 0
        var problems: [String] = []
        var partDigests: [String] = []
        let pieces = object.pieces
        for piece in pieces {
            let own = whole != nil && pieces.count > 1 ? SHA256Hasher() : nil
            let checker = whole == nil ? PartDigestChecker(segment: pieces.count > 1 ? piece.key : nil, parts: piece.parts ?? []) : nil
            let counted = ByteCount()
            try await store.download(key: piece.key) { chunk in
                whole?.update(chunk)
                own?.update(chunk)
                checker?.update(chunk)
                counted.value += Int64(chunk.count)
                try sink(chunk)
            }
            let size = counted.value
            total += size
            if let checker {
                partDigests += checker.finish()
                if pieces.count > 1, size != piece.size {
                    problems.append("segment \(piece.key): size expected \(piece.size) bytes, found \(size)")
                }
                problems += checker.problems
                continue
            }
            guard let own else { continue }
            let digest = SHA256.hex(own.finalize())
            if size != piece.size {
                problems.append("segment \(piece.key): size expected \(piece.size) bytes, found \(size)")
            } else if digest != piece.sha256 {
                problems.append("segment \(piece.key): SHA-256 expected \(piece.sha256 ?? "none"), found \(digest)")
            }
        }
        let found = whole.map { SHA256.hex($0.finalize()) }
            ?? PartDigest.label(composite: SHA256.composite(ofHex: partDigests), parts: partDigests.count)
        return Digest(size: total, sha256: found, segmentProblems: problems)
    }
}

/// Bytes a download's sink counts (on the bridge) and its caller reads after the download returned.
private final class ByteCount {
    var value: Int64 = 0
}
