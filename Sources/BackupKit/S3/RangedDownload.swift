import Foundation

/// One object fetched as consecutive byte ranges by several threads at once and handed to the
/// consumer in order. A worker takes a free buffer before it takes the next range, so the range
/// the consumer waits for always has one: memory stays at `inFlight + 1` ranges.
final class RangedDownload: @unchecked Sendable {
    private let client: S3Client
    private let key: String
    private let etag: String?
    private let size: Int64
    private let rangeSize: Int
    private let inFlight: Int
    private let condition = NSCondition()
    private var nextRange = 0
    private var freeBuffers: [PartBuffer] = []
    private var buffersLeft: Int
    private var done: [Int: (buffer: PartBuffer, length: Int)] = [:]
    private var failure: Error?
    private var liveWorkers = 0
    private let stop = RunCancellation()

    init(client: S3Client, key: String, etag: String?, size: Int64, rangeSize: Int, inFlight: Int) {
        self.client = client
        self.key = key
        self.etag = etag
        self.size = size
        self.rangeSize = rangeSize
        self.inFlight = inFlight
        self.buffersLeft = inFlight + 1
    }

    private var rangeCount: Int { Int((size + Int64(rangeSize) - 1) / Int64(rangeSize)) }

    /// Fetches every range and writes them to `sink` in order on the calling thread.
    func run(cancellation: RunCancellation?, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        cancellation?.onCancel { [stop] reason in stop.cancel(reason: reason) }
        for index in 0..<inFlight {
            condition.withLock { liveWorkers += 1 }
            let thread = Thread { [self] in worker() }
            thread.name = "s3-range-\(index)"
            thread.start()
        }
        defer { waitForWorkers() }
        for index in 0..<rangeCount {
            let piece: (buffer: PartBuffer, length: Int) = try condition.withLock {
                while done[index] == nil && failure == nil { condition.wait() }
                if let failure { throw failure }
                return done.removeValue(forKey: index)!
            }
            do {
                try sink(UnsafeRawBufferPointer(rebasing: piece.buffer.memory[0..<piece.length]))
            } catch {
                fail(error)
                throw error
            }
            condition.withLock {
                freeBuffers.append(piece.buffer)
                condition.broadcast()
            }
        }
    }

    private func fail(_ error: Error) {
        condition.withLock {
            if failure == nil { failure = error }
            condition.broadcast()
        }
        stop.cancel(reason: "the download failed")
    }

    private func waitForWorkers() {
        condition.withLock {
            while liveWorkers > 0 { condition.wait() }
        }
    }

    private func worker() {
        defer {
            condition.withLock {
                liveWorkers -= 1
                condition.broadcast()
            }
        }
        while true {
            let claim: (index: Int, buffer: PartBuffer)? = condition.withLock {
                while failure == nil && nextRange < rangeCount && freeBuffers.isEmpty && buffersLeft == 0 { condition.wait() }
                guard failure == nil, nextRange < rangeCount else { return nil }
                let buffer: PartBuffer
                if let reused = freeBuffers.popLast() {
                    buffer = reused
                } else {
                    buffersLeft -= 1
                    buffer = PartBuffer(capacity: rangeSize)
                }
                defer { nextRange += 1 }
                return (nextRange, buffer)
            }
            guard let claim else { return }
            let start = Int64(claim.index) * Int64(rangeSize)
            let end = min(size, start + Int64(rangeSize))
            var filled = 0
            do {
                try client.fetchRange(key: key, etag: etag, range: start..<end, cancellation: stop) { chunk in
                    UnsafeMutableRawBufferPointer(rebasing: claim.buffer.memory[filled..<(filled + chunk.count)]).copyMemory(from: chunk)
                    filled += chunk.count
                }
                condition.withLock {
                    done[claim.index] = (claim.buffer, filled)
                    condition.broadcast()
                }
            } catch {
                fail(error)
                return
            }
        }
    }
}
