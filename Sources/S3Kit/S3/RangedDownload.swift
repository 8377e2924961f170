import BackupCore
import Foundation

/// One object fetched as consecutive byte ranges, `inFlight` ranged GETs at once (child tasks of a
/// task group), and handed to the consumer in order. A range starts only when a buffer is free
/// and the consumer takes the ranges in order, so memory stays at `inFlight + 1` ranges.
struct RangedDownload: Sendable {
    let client: S3Client
    let key: String
    let etag: String?
    let size: Int64
    let rangeSize: Int
    let inFlight: Int

    private var rangeCount: Int { Int((size + Int64(rangeSize) - 1) / Int64(rangeSize)) }

    /// Fetches every range and writes them to `sink` in order (on the bridge: it may block).
    func run(to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        let lentSink = BlockingBridge.Handoff(sink)
        // Each buffer is lent to the child task that fills it and comes back with its range.
        try await withThrowingTaskGroup(of: (index: Int, buffer: BlockingBridge.Handoff<PartBuffer>, length: Int).self) { group in
            var free: [PartBuffer] = []
            var allocated = 0
            var running = 0
            var next = 0
            var done: [Int: (buffer: PartBuffer, length: Int)] = [:]
            // Ranges start in order while fewer than `inFlight` run and a buffer is free (or may be made).
            func fill() {
                while next < rangeCount && running < inFlight && (!free.isEmpty || allocated < inFlight + 1) {
                    let buffer: PartBuffer
                    if let reused = free.popLast() {
                        buffer = reused
                    } else {
                        allocated += 1
                        buffer = PartBuffer(capacity: rangeSize)
                    }
                    let index = next
                    next += 1
                    running += 1
                    group.addTask { [self, lent = BlockingBridge.Handoff(buffer)] in
                        (index, lent, try await fetch(index: index, into: lent.value))
                    }
                }
            }
            fill()
            for index in 0..<rangeCount {
                while done[index] == nil {
                    guard let finished = try await group.next() else {
                        throw S3Error.invalidResponse(operation: "GetObject", detail: "range \(index) of \(key) never arrived")
                    }
                    running -= 1
                    done[finished.index] = (finished.buffer.value, finished.length)
                    fill()
                }
                let piece = done.removeValue(forKey: index)!
                let lent = BlockingBridge.Handoff(piece.buffer)
                let length = piece.length
                try await BlockingBridge.shared.run {
                    try lentSink.value(UnsafeRawBufferPointer(rebasing: lent.value.memory[0..<length]))
                }
                free.append(piece.buffer)
                fill()
            }
        }
    }

    /// GETs range `index` into `buffer`; returns the bytes received.
    private func fetch(index: Int, into buffer: PartBuffer) async throws -> Int {
        let start = Int64(index) * Int64(rangeSize)
        let end = min(size, start + Int64(rangeSize))
        var filled = 0
        try await client.fetchRange(key: key, etag: etag, range: start..<end) { chunk in
            UnsafeMutableRawBufferPointer(rebasing: buffer.memory[filled..<(filled + chunk.count)]).copyMemory(from: chunk)
            filled += chunk.count
        }
        return filled
    }
}
