/// The suspicious-shrinkage rule: a backup whose dump is smaller than `fraction` of the median
/// of the job's last `peers` good backups' dumps is stored but marked suspicious. Pure.
public enum ShrinkageRule {
    /// How many recent good backups the median is taken over.
    public static let peers = 5

    /// The median of `sizes` (the mean of the middle two for an even count); nil when empty.
    public static func median(_ sizes: [Int64]) -> Double? {
        guard !sizes.isEmpty else { return nil }
        let sorted = sizes.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
    }

    /// Why a dump of `bytes` is suspicious against `recent` (the peers' dump sizes, newest first;
    /// only the first `peers` count), or nil when it is not, when `fraction` is nil (the check is
    /// off) or when there are no peers yet.
    public static func judge(bytes: Int64, recent: [Int64], fraction: Double?) -> String? {
        guard let fraction, let median = median(Array(recent.prefix(peers))), median > 0 else { return nil }
        let limit = median * fraction
        guard Double(bytes) < limit else { return nil }
        let percent = (fraction * 100).formatted()
        let count = min(recent.count, peers)
        return "the dump is \(bytes) bytes, below \(percent)% of the median \(Int64(median.rounded())) bytes of the last \(count) good backup\(count == 1 ? "" : "s")"
    }
}

private extension Double {
    /// `10` or `2.5`, without a trailing `.0`.
    func formatted() -> String {
        self == rounded() ? String(Int64(self)) : String(self)
    }
}
