import BackupCore
import SigV4

/// The reading side of one multipart upload: fills part buffers from the source through the
/// `BlockingBridge` (reads may block on a dump tool's pipe), hashing each part as it is read (the
/// digest that signs it and that the manifest records: one SHA-256 pass per byte), and keeps the buffers: at most `bufferLimit` exist, reused while the part size
/// stays the same. Used by the uploading task alone.
final class PartReader {
    /// One filled part (lent to the task that sends it, which hands its buffer back).
    struct Part {
        var number: Int
        var buffer: PartBuffer
        var length: Int
        /// The part's hex SHA-256, which signs it.
        var sha256: String
    }

    private let source: BlockingBridge.Handoff<any ByteSource>
    private let key: String
    private let plan: PartSizePlan
    private let bufferLimit: Int
    /// Raised by a failed part: the reader stops at its next chunk.
    let stop = BlockingBridge.AbortFlag()
    private var free: [PartBuffer] = []
    private var allocated = 0
    private var currentBytes = 0
    private var number = 1
    private var finished = false
    /// Bytes read so far.
    private(set) var total: Int64 = 0
    /// Parts read so far.
    private(set) var partCount = 0
    /// The first part's size.
    private(set) var firstPartSize = 0
    /// The most bytes of part buffers allocated at once (for the memory bound's tests).
    private(set) var peakBufferBytes = 0

    init(source: any ByteSource, key: String, plan: PartSizePlan, bufferLimit: Int) {
        self.source = BlockingBridge.Handoff(source)
        self.key = key
        self.plan = plan
        self.bufferLimit = bufferLimit
    }

    /// Returns a buffer whose part was sent.
    func release(_ buffer: PartBuffer) { free.append(buffer) }

    /// The next part, nil at the end of the stream. Throws what the source threw, or
    /// `S3Error.objectTooLarge` when the stream has bytes past the plan's last part.
    func next() async throws -> Part? {
        guard !finished else { return nil }
        guard let size = plan.size(ofPart: number) else {
            // Only reached when the stream still has bytes after the last allowed part.
            throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total)
        }
        let buffer = acquire(size: size)
        let read = try await fill(buffer, size: size, last: number == plan.maxParts)
        if read.filled == 0 && number > 1 || stop.isRaised {
            finished = true
            release(buffer)
            return nil
        }
        if read.ended { finished = true }
        if read.extra {
            release(buffer)
            throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total + Int64(read.filled) + 1)
        }
        total += Int64(read.filled)
        partCount = number
        if number == 1 { firstPartSize = size }
        defer { number += 1 }
        return Part(number: number, buffer: buffer, length: read.filled, sha256: read.sha256)
    }

    /// Fills `buffer` up to `size` on the bridge, hashing each chunk right after it is read (while
    /// it is still in the cache). For the plan's last part, a full buffer
    /// is followed by a one-byte probe: the stream must end there or it does not fit.
    private func fill(_ buffer: PartBuffer, size: Int, last: Bool) async throws -> (filled: Int, ended: Bool, extra: Bool, sha256: String) {
        let lent = BlockingBridge.Handoff((source: source.value, buffer: buffer))
        let stop = stop
        return try await BlockingBridge.shared.run(interrupt: { stop.raise() }) {
            let (source, buffer) = lent.value
            let partHasher = StreamHasher()
            var filled = 0
            var ended = false
            while filled < size && !stop.isRaised {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.memory[filled..<size]))
                if n == 0 { ended = true; break }
                partHasher.update(UnsafeRawBufferPointer(rebasing: buffer.memory[filled..<(filled + n)]))
                filled += n
            }
            var extra = false
            if filled == size && last && !stop.isRaised {
                var probe: UInt8 = 0
                extra = try withUnsafeMutableBytes(of: &probe) { try source.read(into: $0) } > 0
                ended = true
            }
            return (filled, ended, extra, SHA256.hex(partHasher.finalize()))
        }
    }

    private func acquire(size: Int) -> PartBuffer {
        if let index = free.firstIndex(where: { $0.capacity == size }) { return free.remove(at: index) }
        if let stale = free.popLast() {
            // The part size grew: drop a smaller buffer rather than keep both.
            allocated -= 1
            currentBytes -= stale.capacity
        }
        allocated += 1
        currentBytes += size
        peakBufferBytes = max(peakBufferBytes, currentBytes)
        return PartBuffer(capacity: max(size, 1))
    }
}
