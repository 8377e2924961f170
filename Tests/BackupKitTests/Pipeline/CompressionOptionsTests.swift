import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Dump-like text: numbered rows of hex digests, which compress several times over.
private let sample: [UInt8] = {
    var text = ""
    for i in 0..<60_000 { text += "\(i)\t\(String(i &* 2_654_435_761, radix: 16))\t\(String(i &* 40_503, radix: 16))\tsome text\n" }
    return Array(text.utf8)
}()

@Suite("Compression levels and threads", .ownThreads)
struct CompressionOptionsTests {
    /// Every zstd level and worker count round-trips; a higher level stores fewer bytes.
    @Test(arguments: [(1, 0), (3, 2), (19, 0), (19, 2)])
    func zstdLevels(level: Int, threads: Int) throws {
        let compressed = try drain(CodecSource(BytesSource(sample), codec: Compression.zstd.makeCompressor(CompressionOptions(level: level, threads: threads))))
        #expect(try decompress(compressed, .zstd) == sample)
        let fastest = try drain(CodecSource(BytesSource(sample), codec: Compression.zstd.makeCompressor(CompressionOptions(level: 1, threads: 0))))
        if level == 19 { #expect(compressed.count < fastest.count) }
    }

    /// gzip levels round-trip and level 9 stores fewer bytes than level 1.
    @Test func gzipLevels() throws {
        let one = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor(CompressionOptions(level: 1))))
        let nine = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor(CompressionOptions(level: 9))))
        #expect(try decompress(one, .gzip) == sample)
        #expect(try decompress(nine, .gzip) == sample)
        #expect(nine.count < one.count)
    }

    /// The defaults (no options) are the documented ones: zstd 1 and gzip 6, byte for byte.
    @Test func defaultsAreDeclaredOnce() throws {
        let implicit = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor()))
        let explicit = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor(CompressionOptions(level: CompressionOptions.defaultGzipLevel))))
        #expect(implicit == explicit)
        #expect(CompressionOptions.defaultZstdLevel == 1)
    }

    /// The README's Compression section states the defaults the code has: zstd at level 1, gzip at
    /// 6, and one zstd worker per core beyond the second, at most 4 (`ZstdCodec.defaultWorkers`).
    @Test func readmeStatesTheDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## Compression\n").dropFirst().first)
            .components(separatedBy: "\n## ")[0]
        let (zstd, gzip) = (CompressionOptions.defaultZstdLevel, CompressionOptions.defaultGzipLevel)
        #expect(section.contains("`\"zstd\"` (the default, level \(zstd)), `\"gzip\"` (level \(gzip))"))
        #expect(section.contains("| `level` | zstd 1–19, gzip 1–9 | \(zstd) / \(gzip) |"))
        #expect(section.contains("| `threads` | 0–64 (zstd only) | one per core beyond the second, at most 4 (none on 2 cores) |"))
        let cores = Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(ZstdCodec.defaultWorkers == max(0, min(4, cores - 2)))
        #expect(try #require(try Compression.zstd.makeCompressor(CompressionOptions()) as? ZstdCodec).compressionLevel == Int32(zstd))
    }

    /// A job without a level gets a zstd compressor set to level 1 (what libzstd was given), with
    /// the worker default unchanged; a job's own level and threads still win.
    @Test func zstdCompressorIsInitialisedAtLevelOne() throws {
        let job = try #require(try pipelineConfig(["engine": "postgres", "connection": ["host": "h", "username": "u", "database": "d"]]).job(named: "job1"))
        #expect(job.compression == .zstd)
        #expect(job.compressionOptions.level == nil)
        #expect(job.compressionOptions.effectiveLevel(for: .zstd) == 1)
        let codec = try #require(try job.compression.makeCompressor(job.compressionOptions) as? ZstdCodec)
        #expect(codec.compressionLevel == 1)
        let tuned = try #require(try Compression.zstd.makeCompressor(CompressionOptions(level: 3, threads: 0)) as? ZstdCodec)
        #expect(tuned.compressionLevel == 3)
        #expect(try #require(try Compression.zstd.makeDecompressor() as? ZstdCodec).compressionLevel == nil)
    }

    /// The frame the default compressor writes is a level-1 frame: with the input size unknown,
    /// zstd's level 1 uses a 512 KiB window (window log 19) where level 3 uses 2 MiB (21), and the
    /// frame header's window descriptor records it.
    @Test func defaultFrameHeaderHasLevelOneWindow() throws {
        func windowLog(_ options: CompressionOptions) throws -> Int {
            let codec = try Compression.zstd.makeCompressor(options)
            let input = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
            var output = [UInt8](repeating: 0, count: 1 << 21)
            // Not finishing on the first call keeps the content size unknown, as for a dump stream.
            let first = try input.withUnsafeBytes { inBytes in
                try output.withUnsafeMutableBytes { try codec.process(input: inBytes, output: $0, finish: false) }
            }
            var produced = first.produced
            var done = false
            while !done {
                let step = try [UInt8]().withUnsafeBytes { empty in
                    try output.withUnsafeMutableBytes { out in
                        try codec.process(input: empty, output: UnsafeMutableRawBufferPointer(rebasing: out[produced...]), finish: true)
                    }
                }
                produced += step.produced
                done = step.done
            }
            #expect(Array(output[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD])
            let descriptor = output[4]
            #expect(descriptor & 0x20 == 0, "single-segment frame: no window descriptor")
            // The window descriptor follows the frame header descriptor: exponent in the top 5 bits.
            return Int(output[5] >> 3) + 10
        }
        #expect(try windowLog(CompressionOptions(threads: 0)) == 19)
        #expect(try windowLog(CompressionOptions()) == 19)
        #expect(try windowLog(CompressionOptions(level: 3, threads: 0)) == 21)
    }
}
