import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Part sizes per tier and the largest object each default reaches.
@Suite(.ownThreads) struct PartSizePlanTests {
    /// The size doubles every tenth of the parts and never passes 5 GiB.
    @Test func sizesDoublePerTier() {
        let plan = PartSizePlan(firstPartSize: 8 << 20, maxParts: 10_000)
        #expect(plan.size(ofPart: 1) == 8 << 20)
        #expect(plan.size(ofPart: 1000) == 8 << 20)
        #expect(plan.size(ofPart: 1001) == 16 << 20)
        #expect(plan.size(ofPart: 10_000) == 4096 << 20)
        #expect(plan.size(ofPart: 10_001) == nil)
        #expect(PartSizePlan(firstPartSize: 5120 << 20, maxParts: 10_000).size(ofPart: 9000) == PartSizePlan.maximumPartSize)
    }

    /// The README's figures: ~8 TiB at 8 MiB × 10,000 parts, ~799 GiB at 1,000 parts, ~5 TiB at 5 MiB.
    @Test(arguments: [
        (8, 10_000, Int64(1000) * 8 * 1023),
        (8, 1000, Int64(100) * 8 * 1023),
        (5, 10_000, Int64(1000) * 5 * 1023),
    ])
    func maxObjectSizes(partMiB: Int, maxParts: Int, expectedMiB: Int64) {
        #expect(PartSizePlan(firstPartSize: partMiB << 20, maxParts: maxParts).maxObjectSize == expectedMiB << 20)
    }

    /// Part limits that are not a multiple of ten put the remainder in the last tier.
    @Test func remainderGoesToLastTier() {
        let plan = PartSizePlan(firstPartSize: 5 << 20, maxParts: 25)
        var total: Int64 = 0
        for number in 1...25 { total += Int64(plan.size(ofPart: number)!) }
        #expect(plan.maxObjectSize == total)
        #expect(plan.size(ofPart: 25) == 5 << 29)
    }
}
