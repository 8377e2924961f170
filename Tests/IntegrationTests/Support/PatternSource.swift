import BackupCore
import BackupKit
import Foundation

/// A deterministic byte stream of `length` bytes, read in odd-sized pieces; optionally fails after `failAfter` bytes.
final class PatternSource: ByteSource {
    let length: Int
    let failAfter: Int?
    private(set) var produced = 0
    private var state: UInt64

    struct ProducerFailed: Error, CustomStringConvertible {
        var description: String { "the dump tool exited with status 2" }
    }

    init(length: Int, seed: UInt64 = 42, failAfter: Int? = nil) {
        self.length = length
        self.failAfter = failAfter
        self.state = seed
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failAfter, produced >= failAfter { throw ProducerFailed() }
        let n = min(buffer.count, length - produced, 300_007)
        for i in 0..<n {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            buffer[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        produced += n
        return n
    }

    /// The whole stream in memory (for comparing small uploads).
    static func bytes(length: Int, seed: UInt64 = 42) -> [UInt8] {
        let source = PatternSource(length: length, seed: seed)
        var out = [UInt8](repeating: 0, count: length)
        var offset = 0
        out.withUnsafeMutableBytes { all in
            while offset < length {
                offset += try! source.read(into: UnsafeMutableRawBufferPointer(rebasing: all[offset...]))
            }
        }
        return out
    }
}
