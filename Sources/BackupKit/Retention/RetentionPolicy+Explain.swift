import ConfigKit

extension RetentionPolicy {
    /// The policy in words: `keeps the newest 7, one a day for 14 days, one a week for 8 weeks and
    /// every backup within 2d of the newest`.
    public var explanation: String {
        var parts: [String] = []
        if let n = keepLast { parts.append("the newest \(n)") }
        for (count, unit) in [(keepHourly, "hour"), (keepDaily, "day"), (keepWeekly, "week"), (keepMonthly, "month"), (keepYearly, "year")] {
            guard let n = count else { continue }
            parts.append("one \(unit == "hour" ? "an" : "a") \(unit) for \(n) \(unit)\(n == 1 ? "" : "s")")
        }
        if let window = keepWithin { parts.append("every backup within \(window) of the newest") }
        let list = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + parts.last! : parts.joined()
        return "keeps \(list) (the newest backup always)"
    }
}
