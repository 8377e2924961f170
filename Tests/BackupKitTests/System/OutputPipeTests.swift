import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupCore

/// The largest pipe an unprivileged process may ask for.
private let pipeMaxSize = Int((try? String(contentsOfFile: "/proc/sys/fs/pipe-max-size", encoding: .utf8))?
    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0

@Suite("A child's output pipe", .ownThreads)
struct OutputPipeTests {
    /// A child's stdout pipe holds 1 MiB (where the system allows it), not the default 64 KiB.
    @Test(.enabled(if: pipeMaxSize >= 1 << 20)) func outputPipeHoldsOneMiB() throws {
        let process = try #require(try shell("exit 0") as? PosixProcess)
        #expect(process.outputPipeSize == 1 << 20)
        #expect(process.wait() == .exited(0))
    }

    /// A tool writing 4 KiB pieces (as pg_dump does) is read whole, in order, byte for byte, through
    /// the larger pipe, across a pause (short reads) and a burst (full reads).
    @Test func smallWritesArriveWhole() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        var state: UInt32 = 12_345
        let bytes = (0..<(3 << 20) + 1_234).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12_345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/data"))
        // `dd bs=4096` writes 4 KiB at a time, in two bursts with a pause between them.
        let process = try shell("dd if=\(directory)/data bs=4096 count=300 status=none; sleep 0.2; dd if=\(directory)/data bs=4096 skip=300 status=none")
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
            if n == 0 { break }
            read.append(contentsOf: buffer[..<n])
        }
        #expect(process.wait() == .exited(0))
        #expect(read == bytes)
    }
}
