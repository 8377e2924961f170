/// Walks a tar stream block by block as it passes, in constant memory, and hands each member's
/// header and content to a visitor: checks every header's checksum and that the stream ends with
/// the end-of-archive blocks. The base backup check and the restore's extraction both use it.
final class TarStreamScanner {
    /// What the visitor gets.
    enum Event {
        /// A member starts.
        case header(TarHeader)
        /// The next bytes of the current member's content.
        case content(UnsafeRawBufferPointer)
        /// The current member's content is complete.
        case memberEnd
    }

    private var block: [UInt8] = []
    /// Content bytes of the current member still to come, then its padding.
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    private var zeroBlocks = 0
    private(set) var ended = false
    /// The first thing found wrong; nothing more is read once it is set.
    private(set) var problem: String?
    private let visit: (Event) throws -> Void

    /// A scanner that reports to `visit` (which may throw to stop the stream).
    init(visit: @escaping (Event) throws -> Void) {
        self.visit = visit
        block.reserveCapacity(TarHeader.blockSize)
    }

    /// Takes the next bytes of the stream.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty, problem == nil {
            if remaining > 0 {
                let n = Int(min(Int64(rest.count), remaining))
                try visit(.content(UnsafeRawBufferPointer(rebasing: rest.prefix(n))))
                remaining -= Int64(n)
                rest = rest.dropFirst(n)
                if remaining == 0 { try visit(.memberEnd) }
                continue
            }
            if padding > 0 {
                let n = Int(min(Int64(rest.count), padding))
                padding -= Int64(n)
                rest = rest.dropFirst(n)
                continue
            }
            let n = min(rest.count, TarHeader.blockSize - block.count)
            block += rest.prefix(n)
            rest = rest.dropFirst(n)
            guard block.count == TarHeader.blockSize else { continue }
            try block.withUnsafeBytes { try takeBlock($0) }
            block.removeAll(keepingCapacity: true)
        }
    }

    private func takeBlock(_ raw: UnsafeRawBufferPointer) throws {
        if TarHeader.isZero(raw) {
            zeroBlocks += 1
            if zeroBlocks >= 2 { ended = true }
            return
        }
        guard !ended, zeroBlocks == 0 else {
            problem = "data follows the tar stream's end-of-archive blocks"
            return
        }
        switch TarHeader.parse(raw) {
        case .failure(let error):
            problem = error.detail
        case .success(let header):
            try visit(.header(header))
            remaining = header.size
            padding = header.paddedSize - header.size
            if header.size == 0 { try visit(.memberEnd) }
        }
    }

    /// What is wrong with the whole stream, or nil when it ended properly.
    func finish() -> String? {
        if let problem { return problem }
        if remaining > 0 || padding > 0 || !block.isEmpty { return "the tar stream ends in the middle of a member: it is truncated" }
        if !ended { return "the tar stream lacks its end-of-archive blocks: it is truncated" }
        return nil
    }
}
