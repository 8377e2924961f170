import BackupCore

/// Cuts one stream into segments of at most `limit` bytes: each segment reads as a source that
/// ends at the limit, and `hasMore` tells (by reading one byte ahead) whether the stream goes on.
final class SegmentingSource: ByteSource {
    private let inner: any ByteSource
    let limit: Int64
    private var remaining: Int64
    private var lookahead: UInt8?
    private var ended = false
    /// Which segment is being read (1-based).
    private(set) var index = 1
    /// Bytes of the whole stream read so far.
    private(set) var total: Int64 = 0

    init(_ inner: any ByteSource, limit: Int64) {
        self.inner = inner
        self.limit = max(1, limit)
        self.remaining = self.limit
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0, !ended, buffer.count > 0 else { return 0 }
        var written = 0
        if let byte = lookahead {
            buffer[0] = byte
            lookahead = nil
            written = 1
        }
        let room = min(Int64(buffer.count - written), remaining - Int64(written))
        if room > 0 {
            let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + Int(room))]))
            if n == 0 { ended = true }
            written += n
        }
        remaining -= Int64(written)
        total += Int64(written)
        return written
    }

    /// Whether bytes follow the current segment (reads one byte ahead when it ended at the limit).
    func hasMore() throws -> Bool {
        if ended { return false }
        if lookahead != nil { return true }
        guard remaining == 0 else { return false }
        var byte: UInt8 = 0
        let n = try withUnsafeMutableBytes(of: &byte) { try inner.read(into: $0) }
        if n == 0 {
            ended = true
            return false
        }
        lookahead = byte
        return true
    }

    /// Starts the next segment.
    func nextSegment() {
        index += 1
        remaining = limit
    }
}
