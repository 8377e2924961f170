import CZstd
import ConfigKit
import Glibc

/// zstd through libzstd: compression (with worker threads when there are cores to spare, which
/// overlaps compressing with reading the dump) or decompression.
public final class ZstdCodec: StreamCodec {
    private let cctx: OpaquePointer?
    private let dctx: OpaquePointer?
    private var frameOpen = false
    /// The level the compressor was set to (what its frames are compressed at); nil for a decompressor.
    public let compressionLevel: Int32?

    /// A compressor at `level` with `workers` background threads (0 compresses on the caller's thread).
    public init(compressionLevel level: Int32 = Int32(CompressionOptions.defaultZstdLevel), workers: Int32 = ZstdCodec.defaultWorkers) throws {
        guard let cctx = ZSTD_createCCtx() else { throw CodecError.setup(codec: "zstd", detail: "out of memory") }
        self.cctx = cctx
        dctx = nil
        compressionLevel = level
        try check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level), setup: true)
        // The frame's content checksum lets `verify` and `restore` detect corruption while decoding.
        try check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1), setup: true)
        if workers > 0 {
            // Fails only when libzstd was built without threads: then compress inline.
            _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, workers)
        }
    }

    /// A decompressor.
    public init(decompressing: Void = ()) throws {
        guard let dctx = ZSTD_createDCtx() else { throw CodecError.setup(codec: "zstd", detail: "out of memory") }
        self.dctx = dctx
        cctx = nil
        compressionLevel = nil
    }

    deinit {
        if let cctx { ZSTD_freeCCtx(cctx) }
        if let dctx { ZSTD_freeDCtx(dctx) }
    }

    /// One worker per core beyond the two that the database server and its dump tool keep busy, at
    /// most 4: none on 2 cores, where `bench/compare.sh` (issue 22) measured a worker as no faster on
    /// a real PostgreSQL run (2.38 vs 2.02 s on pgbench data, 2.77 vs 2.77 s on a 2:1 table) for
    /// 16-20% more CPU and, on pgbench data, 34% more bytes stored.
    public static var defaultWorkers: Int32 {
        let cores = Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(0, min(4, cores - 2))
    }

    /// The largest a single frame of `size` bytes can compress to.
    public static func compressBound(_ size: Int) -> Int {
        ZSTD_compressBound(size)
    }

    private func check(_ code: Int, setup: Bool = false) throws {
        if ZSTD_isError(code) != 0 {
            let detail = String(cString: ZSTD_getErrorName(code))
            throw setup ? CodecError.setup(codec: "zstd", detail: detail) : CodecError.stream(codec: "zstd", detail: detail)
        }
    }

    public func process(
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, finish: Bool
    ) throws -> (consumed: Int, produced: Int, done: Bool) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        if let cctx {
            let remaining = ZSTD_compressStream2(cctx, &outBuffer, &inBuffer, finish ? ZSTD_e_end : ZSTD_e_continue)
            try check(remaining)
            let done = finish && remaining == 0 && inBuffer.pos == inBuffer.size
            return (inBuffer.pos, outBuffer.pos, done)
        }
        let hint = ZSTD_decompressStream(dctx, &outBuffer, &inBuffer)
        try check(hint)
        if inBuffer.pos > 0 || outBuffer.pos > 0 { frameOpen = hint != 0 }
        if finish && inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size {
            // All input consumed and the output not full: nothing more will come out.
            if frameOpen { throw CodecError.truncated(codec: "zstd") }
            return (inBuffer.pos, outBuffer.pos, true)
        }
        return (inBuffer.pos, outBuffer.pos, false)
    }
}
