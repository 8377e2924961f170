import Synchronization

/// The last bytes a child wrote to standard error: a ring that keeps only the newest
/// `capacity` bytes, so a tool that writes gigabytes of warnings never grows memory.
public final class StderrTail: Sendable {
    /// How much is kept by default: 64 KiB.
    public static let capacity = 64 * 1024

    private struct State {
        var ring: [UInt8] = []
        var start = 0
        var dropped = false
    }
    private let limit: Int
    private let state = Mutex(State())

    /// Creates an empty tail keeping at most `capacity` bytes.
    public init(capacity: Int = StderrTail.capacity) {
        limit = capacity
    }

    /// Appends bytes, dropping the oldest beyond the capacity.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        state.withLock { s in
            var slice = bytes[...]
            if slice.count >= limit {
                s.ring = Array(slice.suffix(limit))
                s.start = 0
                s.dropped = true
                return
            }
            if s.ring.count < limit {
                let room = limit - s.ring.count
                let head = slice.prefix(room)
                s.ring.append(contentsOf: head)
                slice = slice.dropFirst(head.count)
            }
            for byte in slice {
                s.ring[s.start] = byte
                s.start = (s.start + 1) % limit
                s.dropped = true
            }
        }
    }

    /// The kept bytes, oldest first.
    public var bytes: [UInt8] {
        state.withLock { Self.oldestFirst($0) }
    }

    /// The kept bytes as text; when older bytes were dropped it starts at the next whole line.
    public var text: String {
        let (kept, dropped) = state.withLock { s in (Self.oldestFirst(s), s.dropped) }
        var slice = kept[...]
        if dropped, let newline = slice.firstIndex(of: 0x0A) { slice = slice[(newline + 1)...] }
        return String(decoding: slice, as: UTF8.self)
    }

    private static func oldestFirst(_ s: State) -> [UInt8] {
        Array(s.ring[s.start...] + s.ring[..<s.start])
    }
}
