import BackupCore
import SigV4

/// The reading side of one multipart upload: fills part buffers from the source through the
/// `BlockingBridge` (reads may block on a dump tool's pipe), hashing each part once (the digest
/// that signs it and that the manifest records), and keeps the buffers, reused while the part size
/// stays the same. With `pairs`, consecutive parts are hashed two at a time: the first is read
/// whole, then the second is hashed chunk by chunk as it arrives together with the first's bytes
/// at the same offsets, one interleaved SHA-NI pass for both (about 0.7 of two passes); the reader
/// then holds two buffers (`buffersPerRead`). Used by the uploading task alone.
final class PartReader {
    /// One filled part (lent to the task that sends it, which hands its buffer back).
    struct Part {
        var number: Int
        var buffer: PartBuffer
        var length: Int
        /// The part's hex SHA-256, which signs it.
        var sha256: String
    }

    /// What one fill read.
    private struct Read {
        var filled: Int
        var ended: Bool
        var extra: Bool
        /// The part's digest; nil for a first part whose hashing waits for its partner.
        var sha256: String?
        /// The partner's digest, when a partner was hashed along.
        var partnerSha256: String?
    }

    private let source: BlockingBridge.Handoff<any ByteSource>
    private let key: String
    private let plan: PartSizePlan
    /// Whether parts are hashed two at a time.
    let pairs: Bool
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

    init(source: any ByteSource, key: String, plan: PartSizePlan, pairs: Bool = false) {
        self.source = BlockingBridge.Handoff(source)
        self.key = key
        self.plan = plan
        self.pairs = pairs
    }

    /// Buffers a call of `next` fills before it returns (the sender keeps that many free).
    var buffersPerRead: Int { pairs ? 2 : 1 }

    /// Returns a buffer whose part was sent.
    func release(_ buffer: PartBuffer) { free.append(buffer) }

    /// The next parts in order (two when paired, one at the end of the stream or unpaired), empty
    /// at the end of the stream. Throws what the source threw, or `S3Error.objectTooLarge` when
    /// the stream has bytes past the plan's last part.
    func next() async throws -> [Part] {
        guard !finished else { return [] }
        guard let size = plan.size(ofPart: number) else {
            // Only reached when the stream still has bytes after the last allowed part.
            throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total)
        }
        let buffer = acquire(size: size)
        let last = number == plan.maxParts
        let first = try await fill(buffer, size: size, last: last, partner: nil, waitForPartner: pairs && !last)
        if first.filled == 0 && number > 1 || stop.isRaised {
            finished = true
            release(buffer)
            return []
        }
        if first.extra {
            release(buffer)
            throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total + Int64(first.filled) + 1)
        }
        if first.ended { finished = true }
        if let digest = first.sha256 { return [accept(buffer, size: size, length: first.filled, sha256: digest)] }

        // The partner: read and hashed together with the first part.
        let nextSize = plan.size(ofPart: number + 1) ?? size
        let nextBuffer = acquire(size: nextSize)
        let second = try await fill(
            nextBuffer, size: nextSize, last: number + 1 == plan.maxParts, partner: (buffer, first.filled), waitForPartner: false)
        if stop.isRaised {
            finished = true
            release(buffer)
            release(nextBuffer)
            return []
        }
        if second.extra {
            release(buffer)
            release(nextBuffer)
            throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total + Int64(first.filled + second.filled) + 1)
        }
        if second.ended { finished = true }
        let firstPart = accept(buffer, size: size, length: first.filled, sha256: second.partnerSha256 ?? "")
        guard second.filled > 0 else {
            // The stream ended with the first part.
            release(nextBuffer)
            return [firstPart]
        }
        return [firstPart, accept(nextBuffer, size: nextSize, length: second.filled, sha256: second.sha256 ?? "")]
    }

    private func accept(_ buffer: PartBuffer, size: Int, length: Int, sha256: String) -> Part {
        total += Int64(length)
        partCount = number
        if number == 1 { firstPartSize = size }
        defer { number += 1 }
        return Part(number: number, buffer: buffer, length: length, sha256: sha256)
    }

    /// Fills `buffer` up to `size` on the bridge, hashing each chunk right after it is read (while
    /// it is still in the cache), together with `partner`'s bytes at the same offsets when there is
    /// one. With `waitForPartner` nothing is hashed, unless the stream ends here. For the plan's
    /// last part, a full buffer is followed by a one-byte probe: the stream must end there or it
    /// does not fit.
    private func fill(
        _ buffer: PartBuffer, size: Int, last: Bool, partner: (buffer: PartBuffer, length: Int)?, waitForPartner: Bool
    ) async throws -> Read {
        let lent = BlockingBridge.Handoff((source: source.value, buffer: buffer, partner: partner))
        let stop = stop
        return try await BlockingBridge.shared.run(interrupt: { stop.raise() }) {
            let (source, buffer, partner) = lent.value
            let partHasher = StreamHasher()
            let partnerHasher = partner.map { _ in StreamHasher() }
            var filled = 0
            var paired = 0
            var ended = false
            func bytes(_ of: PartBuffer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: of.memory[range])
            }
            while filled < size && !stop.isRaised {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.memory[filled..<size]))
                if n == 0 { ended = true; break }
                if let partner, let partnerHasher {
                    // Whole blocks of both, in step: the same offsets keep both digests block-aligned.
                    let upTo = paired + (min(filled + n, partner.length) - paired) / 64 * 64
                    if upTo > paired {
                        StreamHasher.update(partnerHasher, with: bytes(partner.buffer, paired..<upTo), partHasher, with: bytes(buffer, paired..<upTo))
                        paired = upTo
                    }
                } else if !waitForPartner {
                    partHasher.update(bytes(buffer, filled..<(filled + n)))
                }
                filled += n
            }
            var extra = false
            if filled == size && last && !stop.isRaised {
                var probe: UInt8 = 0
                extra = try withUnsafeMutableBytes(of: &probe) { try source.read(into: $0) } > 0
                ended = true
            }
            if let partner, let partnerHasher {
                partnerHasher.update(bytes(partner.buffer, paired..<partner.length))
                partHasher.update(bytes(buffer, min(paired, filled)..<filled))
                return Read(
                    filled: filled, ended: ended, extra: extra, sha256: SHA256.hex(partHasher.finalize()),
                    partnerSha256: SHA256.hex(partnerHasher.finalize()))
            }
            if waitForPartner && !ended { return Read(filled: filled, ended: false, extra: extra, sha256: nil) }
            if waitForPartner { partHasher.update(bytes(buffer, 0..<filled)) }
            return Read(filled: filled, ended: ended, extra: extra, sha256: SHA256.hex(partHasher.finalize()))
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
