import BackupCore
import Foundation
import Synchronization

/// Reads one `ByteSource` once and hands the same bytes to several consumers, each through its own
/// `StreamTee.Branch` (a `ByteSource`), for uploading one dump to several destinations at once.
///
/// Memory is bounded: at most `window` chunks of up to `chunkSize` bytes are held, counted from the
/// chunk the slowest live branch is reading; a branch that gets `window` chunks ahead waits. So the
/// slowest destination holds the stream (and the dump tool) back, and a branch that is `detach`ed
/// (its upload failed) stops holding anything back. Whichever branch first needs a chunk that has not
/// been read yet reads it from upstream; the others wait for it. A branch that is the only live
/// one, with nothing held for it, reads upstream straight into its reader's buffer: one consumer
/// costs no chunk and no copy. Branches are read on the `BlockingBridge` (their waits block), whose
/// `Completion` is what a waiting branch sleeps on.
public final class StreamTee: Sendable {
    /// The bytes of one upstream read and where they sit in the stream.
    private struct Chunk {
        var index: Int
        var bytes: [UInt8]
    }

    /// Everything the branches share, behind the mutex.
    private struct State {
        var chunks: [Chunk] = []
        var produced = 0
        var producing = false
        var ended = false
        var failure: (any Error)?
        var positions: [Int?] = []
        var peak = 0
        /// Branches waiting for a change, woken (all) by the next one.
        var waiters: [BlockingBridge.Completion] = []

        /// The chunk index the slowest live branch reads next (`produced` when none is live).
        var lowest: Int { positions.compactMap { $0 }.min() ?? produced }

        /// Drops the chunks every live branch has read; returns the waiters to wake.
        mutating func release() -> [BlockingBridge.Completion] {
            let keep = lowest
            chunks.removeAll { $0.index < keep }
            return wake()
        }

        /// The waiters to wake, now that something changed.
        mutating func wake() -> [BlockingBridge.Completion] {
            defer { waiters = [] }
            return waiters
        }
    }

    /// What a branch does next.
    private enum Step {
        case chunk([UInt8])
        case end
        case produce
        case passThrough
        case wait(BlockingBridge.Completion)
    }

    /// What a branch's read got.
    private enum Next {
        /// A shared chunk to copy from.
        case chunk([UInt8])
        /// This many bytes, read upstream straight into the reader's buffer.
        case read(Int)
        /// The end of the stream.
        case end
    }

    /// Read only by the branch that is producing (`State.producing`), one at a time.
    private let upstream: BlockingBridge.Handoff<any ByteSource>
    /// The largest upstream read, in bytes.
    public let chunkSize: Int
    /// How many chunks may be held at once.
    public let window: Int
    private let state = Mutex(State())

    /// A tee over `upstream` that holds at most `window` chunks of `chunkSize` bytes.
    public init(_ upstream: any ByteSource, chunkSize: Int = 1 << 20, window: Int = 4) {
        self.upstream = BlockingBridge.Handoff(upstream)
        self.chunkSize = max(1, chunkSize)
        self.window = max(1, window)
    }

    /// The most bytes held in chunks at once so far (for the memory bound's tests).
    public var peakBytes: Int { state.withLock { $0.peak } }

    /// The bound on bytes this tee holds: `window × chunkSize`.
    public var boundBytes: Int { window * chunkSize }

    /// Creates `count` branches; create them all before the first read.
    public func branches(_ count: Int) -> [Branch] {
        let first = state.withLock { state -> Int in
            defer { state.positions += Array(repeating: 0, count: count) }
            return state.positions.count
        }
        return (first..<first + count).map { Branch(tee: self, id: $0) }
    }

    /// One consumer's view of the stream. Reads come from one thread at a time, like any `ByteSource`.
    public final class Branch: ByteSource, Sendable {
        private let tee: StreamTee
        fileprivate let id: Int
        /// The chunk being read and how far.
        private let cursor = Mutex<(current: [UInt8], offset: Int)>(([], 0))

        fileprivate init(tee: StreamTee, id: Int) {
            self.tee = tee
            self.id = id
        }

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !buffer.isEmpty else { return 0 }
            var (current, offset) = cursor.withLock { cursor in
                defer { cursor = ([], 0) }
                return cursor
            }
            while offset == current.count {
                switch try tee.next(for: id, into: buffer) {
                case .chunk(let next):
                    current = next
                    offset = 0
                case .read(let count):
                    return count
                case .end:
                    return 0
                }
            }
            let count = min(buffer.count, current.count - offset)
            current.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            }
            offset += count
            cursor.withLock { $0 = (current, offset) }
            return count
        }

        /// Stops this branch holding the stream back (its consumer failed or finished); later reads
        /// end the stream.
        public func detach() {
            cursor.withLock { $0 = ([], 0) }
            tee.detach(id)
        }
    }

    /// What branch `id` reads next: a chunk, bytes read upstream into `buffer` (the only live
    /// branch), or the end of the stream (also when detached).
    private func next(for id: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Next {
        while true {
            let step = try state.withLock { state -> (Step, [BlockingBridge.Completion]) in
                guard let position = state.positions[id] else { return (.end, []) }
                if let chunk = state.chunks.first(where: { $0.index == position }) {
                    state.positions[id] = position + 1
                    return (.chunk(chunk.bytes), state.release())
                }
                if let failure = state.failure { throw failure }
                if state.ended { return (.end, []) }
                if !state.producing, position == state.produced, state.produced - state.lowest < window {
                    state.producing = true
                    // No other live branch needs these bytes: no chunk to keep.
                    let alone = state.positions.indices.allSatisfy { $0 == id || state.positions[$0] == nil }
                    return (alone ? .passThrough : .produce, [])
                }
                let waiter = BlockingBridge.Completion()
                state.waiters.append(waiter)
                return (.wait(waiter), [])
            }
            for waiter in step.1 { waiter.finish() }
            switch step.0 {
            case .chunk(let bytes): return .chunk(bytes)
            case .end: return .end
            case .produce: try produce()
            case .passThrough: return try passThrough(for: id, into: buffer)
            case .wait(let waiter): waiter.waitBlocking()
            }
        }
    }

    /// Reads upstream straight into `buffer` for branch `id`, the only live one: the read counts as
    /// a chunk produced and read at once, so a branch attached later would not wait for it.
    private func passThrough(for id: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Next {
        let result = Result { try upstream.value.read(into: buffer) }
        let waiters = state.withLock { state -> [BlockingBridge.Completion] in
            state.producing = false
            switch result {
            case .success(0):
                state.ended = true
            case .success:
                state.produced += 1
                if state.positions[id] != nil { state.positions[id] = state.produced }
            case .failure(let error):
                state.failure = error
            }
            return state.wake()
        }
        for waiter in waiters { waiter.finish() }
        let count = try result.get()
        return count == 0 ? .end : .read(count)
    }

    /// Reads one chunk from upstream outside the lock, so other branches keep reading theirs.
    private func produce() throws {
        var bytes = [UInt8](repeating: 0, count: chunkSize)
        var result: Result<Int, any Error>
        do {
            result = .success(try bytes.withUnsafeMutableBytes { try upstream.value.read(into: $0) })
        } catch {
            result = .failure(error)
        }
        let waiters = state.withLock { state -> [BlockingBridge.Completion] in
            state.producing = false
            switch result {
            case .success(0):
                state.ended = true
            case .success(let count):
                bytes.removeSubrange(count...)
                state.chunks.append(Chunk(index: state.produced, bytes: bytes))
                state.produced += 1
                state.peak = max(state.peak, state.chunks.reduce(0) { $0 + $1.bytes.count })
            case .failure(let error):
                state.failure = error
            }
            return state.wake()
        }
        for waiter in waiters { waiter.finish() }
        if case .failure(let error) = result { throw error }
    }

    private func detach(_ id: Int) {
        let waiters = state.withLock { state -> [BlockingBridge.Completion] in
            state.positions[id] = nil
            return state.release()
        }
        for waiter in waiters { waiter.finish() }
    }
}
