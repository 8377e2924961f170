/// Runs pushed chunks through a codec and hands the output on (decompression on the way down,
/// from a download into a restore tool's standard input).
public final class CodecSink {
    private let codec: any StreamCodec
    private let downstream: (UnsafeRawBufferPointer) throws -> Void
    private var output: [UInt8]
    private var finished = false

    /// Sends the codec's output to `downstream` in pieces of at most `chunkSize` bytes.
    public init(codec: any StreamCodec, chunkSize: Int = 1 << 20, downstream: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.codec = codec
        self.downstream = downstream
        output = [UInt8](repeating: 0, count: chunkSize)
    }

    /// Processes one chunk of input.
    public func write(_ input: UnsafeRawBufferPointer) throws {
        try drive(input, finish: false)
    }

    /// Flushes the codec after the last chunk; throws when the stream is incomplete.
    public func finish() throws {
        try drive(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
    }

    private func drive(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
        var offset = 0
        while !finished {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            let (consumed, produced, done) = try output.withUnsafeMutableBytes {
                try codec.process(input: rest, output: $0, finish: finish)
            }
            offset += consumed
            if produced > 0 {
                try output.withUnsafeBytes { try downstream(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }
            }
            if done { finished = true }
            if !finish && offset == input.count && produced < output.count { return }
            if finish && !done && consumed == 0 && produced == 0 { return }
        }
    }
}

/// Passes chunks through unchanged (a `none`-compressed object).
public final class PassThroughCodec: StreamCodec {
    /// Creates the identity codec.
    public init() {}

    public func process(
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finish: Bool
    ) throws -> (consumed: Int, produced: Int, done: Bool) {
        let n = min(input.count, output.count)
        if n > 0 { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: n) }
        return (n, n, finish && n == input.count)
    }
}
