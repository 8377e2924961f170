import Foundation
import Testing
@testable import BackupKit

/// Dump-like text: numbered rows of hex digests, which compress several times over.
private let sample: [UInt8] = {
    var text = ""
    for i in 0..<60_000 { text += "\(i)\t\(String(i &* 2_654_435_761, radix: 16))\t\(String(i &* 40_503, radix: 16))\tsome text\n" }
    return Array(text.utf8)
}()

@Suite("Compression levels and threads")
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

    /// The defaults (no options) are the documented ones: zstd 3 and gzip 6, byte for byte.
    @Test func defaultsAreDeclaredOnce() throws {
        let implicit = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor()))
        let explicit = try drain(CodecSource(BytesSource(sample), codec: Compression.gzip.makeCompressor(CompressionOptions(level: CompressionOptions.defaultGzipLevel))))
        #expect(implicit == explicit)
        #expect(CompressionOptions.defaultZstdLevel == 3)
    }
}
