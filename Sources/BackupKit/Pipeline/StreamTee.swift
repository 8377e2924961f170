import BackupCore
import Foundation

/// Reads one `ByteSource` once and hands the same bytes to several consumers, each through its own
/// `StreamTee.Branch` (a `ByteSource`), for uploading one dump to several destinations at once.
///
/// Memory is bounded: at most `window` chunks of up to `chunkSize` bytes are held, counted from the
/// chunk the slowest live branch is reading; a branch that gets `window` chunks ahead waits. So the
/// slowest destination holds the stream (and the dump tool) back, and a branch that is `detach`ed
/// (its upload failed) stops holding anything back. Whichever branch first needs a chunk that has not
/// been read yet reads it from upstream on its own thread; the others wait for it.
public final class StreamTee: @unchecked Sendable {
    /// The bytes of one upstream read and where they sit in the stream.
    private struct Chunk {
        var index: Int
        var bytes: [UInt8]
    }

    private let upstream: any ByteSource
    /// The largest upstream read, in bytes.
    public let chunkSize: Int
    /// How many chunks may be held at once.
    public let window: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var chunks: [Chunk] = []
    private var produced = 0
    private var producing = false
    private var ended = false
    private var failure: (any Error)?
    private var positions: [Int?] = []
    private var peak = 0

    /// A tee over `upstream` that holds at most `window` chunks of `chunkSize` bytes.
    public init(_ upstream: any ByteSource, chunkSize: Int = 1 << 20, window: Int = 4) {
        self.upstream = upstream
        self.chunkSize = max(1, chunkSize)
        self.window = max(1, window)
    }

    /// The most bytes held in chunks at once so far (for the memory bound's tests).
    public var peakBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return peak
    }

    /// The bound on bytes this tee holds: `window × chunkSize`.
    public var boundBytes: Int { window * chunkSize }

    /// Creates `count` branches; create them all before the first read.
    public func branches(_ count: Int) -> [Branch] {
        condition.lock()
        defer { condition.unlock() }
        let first = positions.count
        positions += Array(repeating: 0, count: count)
        return (first..<first + count).map { Branch(tee: self, id: $0) }
    }

    /// One consumer's view of the stream. Reads come from one thread at a time, like any `ByteSource`.
    public final class Branch: ByteSource, @unchecked Sendable {
        private let tee: StreamTee
        fileprivate let id: Int
        private var current: [UInt8] = []
        private var offset = 0

        fileprivate init(tee: StreamTee, id: Int) {
            self.tee = tee
            self.id = id
        }

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !buffer.isEmpty else { return 0 }
            while offset == current.count {
                guard let next = try tee.next(for: id) else { return 0 }
                current = next
                offset = 0
            }
            let count = min(buffer.count, current.count - offset)
            current.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }

        /// Stops this branch holding the stream back (its consumer failed or finished); later reads
        /// end the stream.
        public func detach() {
            current = []
            offset = 0
            tee.detach(id)
        }
    }

    /// The next chunk for branch `id`, nil at the end of the stream (or when detached).
    private func next(for id: Int) throws -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            guard let position = positions[id] else { return nil }
            if let chunk = chunks.first(where: { $0.index == position }) {
                positions[id] = position + 1
                release()
                return chunk.bytes
            }
            if let failure { throw failure }
            if ended { return nil }
            if !producing, position == produced, produced - lowest() < window {
                try produce()
                continue
            }
            condition.wait()
        }
    }

    /// Reads one chunk from upstream with the lock released, so other branches keep reading theirs.
    private func produce() throws {
        producing = true
        condition.unlock()
        var bytes = [UInt8](repeating: 0, count: chunkSize)
        var result: Result<Int, any Error>
        do {
            result = .success(try bytes.withUnsafeMutableBytes { try upstream.read(into: $0) })
        } catch {
            result = .failure(error)
        }
        condition.lock()
        producing = false
        defer { condition.broadcast() }
        switch result {
        case .success(0):
            ended = true
        case .success(let count):
            bytes.removeSubrange(count...)
            chunks.append(Chunk(index: produced, bytes: bytes))
            produced += 1
            peak = max(peak, chunks.reduce(0) { $0 + $1.bytes.count })
        case .failure(let error):
            failure = error
            throw error
        }
    }

    private func detach(_ id: Int) {
        condition.lock()
        defer { condition.unlock() }
        positions[id] = nil
        release()
        condition.broadcast()
    }

    /// The chunk index the slowest live branch reads next (`produced` when none is live).
    private func lowest() -> Int {
        positions.compactMap { $0 }.min() ?? produced
    }

    /// Drops the chunks every live branch has read.
    private func release() {
        let keep = lowest()
        chunks.removeAll { $0.index < keep }
        condition.broadcast()
    }
}
