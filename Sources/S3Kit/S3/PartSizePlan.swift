/// How big each part of a stream of unknown length is: the configured size for the first tenth of
/// the allowed parts, then double for each further tenth, so a long stream never runs out of parts.
///
/// With 10,000 parts and 8 MiB the object can reach 1,000 × 8 MiB × (2¹⁰ − 1) ≈ 8 TiB (AWS caps
/// objects at 5 TiB); with a provider's 1,000 parts, about 799 GiB. Memory follows the current
/// part size, so the many small streams stay small.
public struct PartSizePlan: Sendable, Equatable {
    /// The first parts' size in bytes (at least 5 MiB, S3's minimum for all but the last part).
    public var firstPartSize: Int
    /// The most parts an upload may have.
    public var maxParts: Int
    /// Every part the same size (R2, MEGA S4): no doubling.
    public var equalParts: Bool = false

    /// How many times the size doubles over the allowed parts.
    public static let tiers = 10
    /// S3's largest part (5 GiB).
    public static let maximumPartSize = 5 * 1024 * 1024 * 1024

    /// A plan starting at `firstPartSize` for at most `maxParts` parts.
    public init(firstPartSize: Int, maxParts: Int) {
        self.firstPartSize = firstPartSize
        self.maxParts = max(1, maxParts)
    }

    /// Parts per size step.
    var tierLength: Int { max(1, maxParts / PartSizePlan.tiers) }

    /// The size of part `number` (1-based), or nil beyond `maxParts`.
    public func size(ofPart number: Int) -> Int? {
        guard number >= 1, number <= maxParts else { return nil }
        if equalParts { return min(PartSizePlan.maximumPartSize, firstPartSize) }
        let tier = min((number - 1) / tierLength, PartSizePlan.tiers - 1)
        return min(PartSizePlan.maximumPartSize, firstPartSize << tier)
    }

    /// The longest stream the plan can hold, in bytes.
    public var maxObjectSize: Int64 {
        if equalParts { return Int64(min(PartSizePlan.maximumPartSize, firstPartSize)) * Int64(maxParts) }
        var total: Int64 = 0
        var number = 1
        while number <= maxParts {
            let size = self.size(ofPart: number)!
            let tierEnd = min(maxParts, ((number - 1) / tierLength + 1) * tierLength)
            let last = (number - 1) / tierLength >= PartSizePlan.tiers - 1 ? maxParts : tierEnd
            total += Int64(size) * Int64(last - number + 1)
            number = last + 1
        }
        return total
    }
}
