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

@Suite("Backpressure", .ownThreads)
struct BackpressureTests {
    /// A consumer that stops reading stops the tool: it is blocked on its full pipe, and backupd has
    /// read only what was asked for (plus at most one compression chunk and zstd's job buffers).
    @Test(arguments: [Compression.none, .zstd, .gzip])
    func slowConsumerHoldsTheToolBack(compression: Compression) throws {
        let process = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["sh", "-c", "head -c 2000000000 /dev/urandom"], environment: testEnvironment))
        defer {
            process.kill()
            _ = process.wait()
        }
        let output = ProcessOutputSource(process)
        let source: any ByteSource = compression == .none ? output : CodecSource(output, codec: try compression.makeCompressor())
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var consumed = 0
        while consumed < 4 << 20 {
            consumed += try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        }
        Thread.sleep(forTimeInterval: 1)
        let readWhilePaused = output.bytesRead
        Thread.sleep(forTimeInterval: 1)
        // Nothing more is read while nobody asks, and what was read is bounded.
        #expect(output.bytesRead == readWhilePaused)
        let bound = compression == .none ? Int64(consumed) : Int64(consumed) + 64 << 20
        #expect(output.bytesRead <= bound)
        // The tool is alive and blocked (sleeping on the pipe), not finished.
        #expect(Glibc.kill(process.pid, 0) == 0)
    }
}
