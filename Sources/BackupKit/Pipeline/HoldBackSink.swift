/// Passes bytes on but keeps the last `holdBack` of them until `release()`, so that a restore
/// tool cannot reach the end of its input (and commit) before the download's digest is checked.
final class HoldBackSink {
    private let holdBack: Int
    private let downstream: (UnsafeRawBufferPointer) throws -> Void
    private var pending: [UInt8] = []

    /// Withholds the last `holdBack` bytes from `downstream`.
    init(holdBack: Int = 1 << 20, downstream: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.holdBack = holdBack
        self.downstream = downstream
    }

    /// Takes the next bytes; passes on what is more than `holdBack` behind the newest.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes)
        guard pending.count >= 2 * holdBack else { return }
        let ready = pending.count - holdBack
        try pending.withUnsafeBytes { try downstream(UnsafeRawBufferPointer(rebasing: $0[..<ready])) }
        pending.removeFirst(ready)
    }

    /// Passes on the withheld bytes (once the input is known to be good).
    func release() throws {
        try pending.withUnsafeBytes { try downstream($0) }
        pending.removeAll()
    }
}
