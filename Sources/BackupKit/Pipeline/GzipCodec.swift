import CZlib

/// gzip through zlib (level 6 by default): compression, or decompression of gzip or zlib streams.
public final class GzipCodec: StreamCodec {
    private var stream = z_stream()
    private let compressing: Bool
    private var ended = false

    /// A compressor writing the gzip format.
    public init(compressionLevel level: Int32 = 6) throws {
        compressing = true
        let status = bd_deflate_init_gzip(&stream, level)
        guard status == Z_OK else { throw CodecError.setup(codec: "gzip", detail: "deflateInit2 returned \(status)") }
    }

    /// A decompressor.
    public init(decompressing: Void = ()) throws {
        compressing = false
        let status = bd_inflate_init_gzip(&stream)
        guard status == Z_OK else { throw CodecError.setup(codec: "gzip", detail: "inflateInit2 returned \(status)") }
    }

    deinit {
        if compressing { deflateEnd(&stream) } else { inflateEnd(&stream) }
    }

    public func process(
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finish: Bool
    ) throws -> (consumed: Int, produced: Int, done: Bool) {
        if ended { return (input.count, 0, true) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        let status: Int32
        if compressing {
            status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
        } else {
            status = inflate(&stream, Z_NO_FLUSH)
        }
        let consumed = input.count - Int(stream.avail_in)
        let produced = output.count - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            ended = true
            return (compressing ? consumed : input.count, produced, true)
        case Z_OK:
            break
        case Z_BUF_ERROR:
            // No progress was possible; harmless unless the input is over.
            if !compressing && finish && consumed == input.count && produced == 0 { throw CodecError.truncated(codec: "gzip") }
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw CodecError.stream(codec: "gzip", detail: message)
        }
        if !compressing && finish && consumed == input.count && produced < output.count {
            throw CodecError.truncated(codec: "gzip")
        }
        return (consumed, produced, false)
    }
}
