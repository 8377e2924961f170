import BackupCore

/// A `ByteSource` that runs another source through a codec (compression on the way up).
/// It reads upstream only when the consumer asks for bytes, so backpressure passes through.
public final class CodecSource: ByteSource {
    private let upstream: any ByteSource
    private let codec: any StreamCodec
    private var chunk: [UInt8]
    private var start = 0
    private var end = 0
    private var upstreamEnded = false
    private var finished = false

    /// Wraps `upstream`, reading it `chunkSize` bytes at a time.
    public init(_ upstream: any ByteSource, codec: any StreamCodec, chunkSize: Int = 1 << 20) {
        self.upstream = upstream
        self.codec = codec
        chunk = [UInt8](repeating: 0, count: chunkSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        while !finished {
            if start == end && !upstreamEnded {
                let n = try chunk.withUnsafeMutableBytes { try upstream.read(into: $0) }
                start = 0
                end = n
                if n == 0 { upstreamEnded = true }
            }
            let (consumed, produced, done) = try chunk.withUnsafeBytes { bytes in
                try codec.process(
                    input: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), output: buffer, finish: upstreamEnded)
            }
            start += consumed
            if done { finished = true }
            if produced > 0 { return produced }
        }
        return 0
    }
}
