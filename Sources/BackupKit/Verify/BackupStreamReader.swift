import BackupCore
import SigV4

/// Reads one stored stream (an object, or its segments in order) and hashes it while it passes
/// through: the whole stream's SHA-256 and size, and each segment's against its manifest entry.
struct BackupStreamReader {
    /// What was read.
    struct Digest {
        /// Bytes read.
        var size: Int64
        /// Lower-case hex SHA-256 of everything read.
        var sha256: String
        /// Segments whose own size or digest differs from the manifest.
        var segmentProblems: [String]
    }

    let store: any BackupObjectStore

    /// Streams `object` to `sink` chunk by chunk; throws when a piece cannot be read.
    func read(_ object: BackupManifest.Object, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws -> Digest {
        let whole = SHA256Hasher()
        var total: Int64 = 0
        var problems: [String] = []
        let pieces = object.pieces
        for piece in pieces {
            let own = SHA256Hasher()
            let counted = ByteCount()
            try await store.download(key: piece.key) { chunk in
                whole.update(chunk)
                own.update(chunk)
                counted.value += Int64(chunk.count)
                try sink(chunk)
            }
            let size = counted.value
            total += size
            guard pieces.count > 1 else { continue }
            let digest = SHA256.hex(own.finalize())
            if size != piece.size {
                problems.append("segment \(piece.key): size expected \(piece.size) bytes, found \(size)")
            } else if digest != piece.sha256 {
                problems.append("segment \(piece.key): SHA-256 expected \(piece.sha256), found \(digest)")
            }
        }
        return Digest(size: total, sha256: SHA256.hex(whole.finalize()), segmentProblems: problems)
    }
}

/// Bytes a download's sink counts (on the bridge) and its caller reads after the download returned.
private final class ByteCount {
    var value: Int64 = 0
}
