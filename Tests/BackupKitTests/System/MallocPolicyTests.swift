import CLinux
import Testing

@testable import BackupKit

@Suite("Malloc policy")
struct MallocPolicyTests {
    /// After a part buffer is freed, the next one (and a large plain block) still get a mapping of
    /// their own, given back when freed, rather than a range of a heap that keeps its pages.
    @Test func largeBlocksKeepTheirOwnMappingAfterOneIsFreed() {
        MallocPolicy.apply()
        let size = 8 << 20
        for _ in 0..<3 {
            let buffer = PartBuffer(capacity: size)
            #expect(bd_malloc_is_mapped(buffer.memory.baseAddress) != 0, "a part buffer came from a heap")
        }
        for _ in 0..<3 {
            let block = UnsafeMutableRawPointer.allocate(byteCount: MallocPolicy.mmapThreshold * 4, alignment: 16)
            defer { block.deallocate() }
            #expect(bd_malloc_is_mapped(block) != 0, "a 512 KiB block came from a heap")
        }
    }
}
