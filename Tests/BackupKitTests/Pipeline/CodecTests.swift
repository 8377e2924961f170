import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A source over bytes in memory, handing out at most `step` bytes per read.
final class BytesSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let step: Int

    init(_ bytes: [UInt8], step: Int = 100_000) {
        self.bytes = bytes
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Reads a source to its end through a buffer of `size` bytes.
func drain(_ source: any ByteSource, bufferSize size: Int = 64 * 1024) throws -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: size)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return result }
        result.append(contentsOf: buffer[..<n])
    }
}

/// Decompresses `bytes` through a `CodecSink`, feeding `chunk` bytes at a time.
func decompress(_ bytes: [UInt8], _ compression: Compression, chunk: Int = 70_000) throws -> [UInt8] {
    var result: [UInt8] = []
    let sink = CodecSink(codec: try compression.makeDecompressor(), chunkSize: 100_000) { result.append(contentsOf: $0) }
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        try bytes[offset..<end].withUnsafeBytes { try sink.write($0) }
        offset = end
    }
    try sink.finish()
    return result
}

/// 3 MiB of half compressible (text), half random data.
let sampleData: [UInt8] = {
    var generator = SystemRandomNumberGenerator()
    let text = Array(String(repeating: "backupd streams dumps to S3; ünïcødé ✓ 12345\n", count: 40_000).utf8)
    let random = (0..<(3 << 20) - text.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return text + random
}()

@Suite("Compression", .ownThreads)
struct CodecTests {
    /// zstd, gzip and none each give back exactly the input after compressing and decompressing,
    /// with reads and writes of odd sizes.
    @Test(arguments: [Compression.zstd, .gzip, .none], [1 << 20, 4093])
    func roundTrip(compression: Compression, bufferSize: Int) throws {
        let source = CodecSource(BytesSource(sampleData, step: 77_777), codec: try compression.makeCompressor(), chunkSize: 1 << 20)
        let compressed = try drain(source, bufferSize: bufferSize)
        if compression != .none { #expect(compressed.count < sampleData.count) }
        #expect(try decompress(compressed, compression) == sampleData)
    }

    /// An empty stream compresses to a valid (non-empty) frame that decompresses to nothing.
    @Test(arguments: [Compression.zstd, .gzip])
    func emptyInput(compression: Compression) throws {
        let compressed = try drain(CodecSource(BytesSource([]), codec: try compression.makeCompressor()))
        #expect(!compressed.isEmpty)
        #expect(try decompress(compressed, compression).isEmpty)
    }

    /// The standard command-line tools read what backupd writes (zstd -d, gzip -d).
    @Test(arguments: [(Compression.zstd, "zstd"), (.gzip, "gzip")])
    func interoperatesWithCLI(compression: Compression, tool: String) throws {
        let compressed = try drain(CodecSource(BytesSource(sampleData), codec: try compression.makeCompressor()))
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let file = tmp.path + "/data" + compression.fileExtension
        try Data(compressed).write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "-d", "-c", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Array(output) == sampleData)
    }

    /// A truncated object is an error, not a short restore.
    @Test(arguments: [Compression.zstd, .gzip])
    func truncatedStreamFails(compression: Compression) throws {
        let compressed = try drain(CodecSource(BytesSource(sampleData), codec: try compression.makeCompressor()))
        let cut = Array(compressed.prefix(compressed.count / 2))
        #expect(throws: CodecError.self) { try decompress(cut, compression) }
    }

    /// Garbage is reported as a stream error.
    @Test(arguments: [Compression.zstd, .gzip])
    func garbageFails(compression: Compression) throws {
        #expect(throws: CodecError.self) { try decompress(Array("this is not compressed at all".utf8), compression) }
    }

    /// Object names pick the decompressor.
    @Test func compressionFromKey() {
        #expect(Compression.of(objectKey: "a/b-20261125T023000Z.dump.zst") == .zstd)
        #expect(Compression.of(objectKey: "a/b-20261125T023000Z.sql.gz") == .gzip)
        #expect(Compression.of(objectKey: "a/b-20261125T023000Z.tar") == Compression.none)
    }
}
