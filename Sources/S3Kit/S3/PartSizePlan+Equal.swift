extension PartSizePlan {
    /// Headroom over the expected size when equal parts are fixed: a database that grew by half
    /// since the last backup still fits in one object.
    public static let equalPartsHeadroom = 1.5

    /// An equal-parts plan whose part size is fixed before the upload starts: large enough that
    /// `expectedSize` (with headroom) fits in `maxParts` parts, never below `minimumPartSize`, whole
    /// MiB. A stream that outgrows it continues in the next segment.
    public static func equal(minimumPartSize: Int, maxParts: Int, expectedSize: Int64?) -> PartSizePlan {
        let mib = 1 << 20
        var size = minimumPartSize
        if let expectedSize, expectedSize > 0 {
            let needed = Double(expectedSize) * equalPartsHeadroom / Double(max(1, maxParts))
            let rounded = Int((needed / Double(mib)).rounded(.up)) * mib
            size = max(size, min(maximumPartSize, rounded))
        }
        var plan = PartSizePlan(firstPartSize: size, maxParts: maxParts)
        plan.equalParts = true
        return plan
    }
}
