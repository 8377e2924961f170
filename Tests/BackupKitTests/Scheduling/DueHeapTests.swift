import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Due heap", .ownThreads)
struct DueHeapTests {
    /// Popping returns entries in (due, job) order for many pseudo-random inserts, whether built
    /// in bulk or one by one, interleaved with pops.
    @Test func popsInOrder() {
        var generator = SplitMix64(seed: 42)
        let entries = (0..<5_000).map { i in
            DueHeap.Entry(due: t0 + Double(generator.next() % 1_000), job: i)
        }
        var bulk = DueHeap(entries)
        var incremental = DueHeap()
        var popped: [DueHeap.Entry] = []
        for (i, entry) in entries.enumerated() {
            incremental.insert(entry)
            if i % 3 == 2, let top = incremental.popMin() { popped.append(top) }
        }
        var fromBulk: [DueHeap.Entry] = []
        while let top = bulk.popMin() { fromBulk.append(top) }
        #expect(fromBulk == entries.sorted())
        var rest: [DueHeap.Entry] = []
        while let top = incremental.popMin() { rest.append(top) }
        #expect(rest == rest.sorted())
        #expect((popped + rest).sorted() == entries.sorted())
        #expect(incremental.count == 0 && bulk.min == nil)
    }
}

/// A small deterministic generator for reproducible test data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
