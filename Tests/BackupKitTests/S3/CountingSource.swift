import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A deterministic stream of `length` bytes that counts what it produced; optionally throws after `failAfter`.
final class CountingSource: ByteSource, @unchecked Sendable {
    let length: Int
    let failAfter: Int?
    private let lock = NSLock()
    private var _produced = 0
    var produced: Int { lock.withLock { _produced } }

    struct Failed: Error {}

    init(length: Int, failAfter: Int? = nil) {
        self.length = length
        self.failAfter = failAfter
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let done = produced
        if let failAfter, done >= failAfter { throw Failed() }
        let n = min(buffer.count, length - done, 1 << 20)
        // One byte value per read (memset speed even in debug builds), different from read to read.
        if n > 0 { memset(buffer.baseAddress!, Int32(truncatingIfNeeded: (done >> 12) &* 7 &+ 1), n) }
        lock.withLock { _produced += n }
        return n
    }
}
