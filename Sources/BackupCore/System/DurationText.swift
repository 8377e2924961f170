/// Durations as written in the config: a sequence of whole numbers with units, `90m`, `2h`, `1h30m`, `45s`, `1d`.
public enum DurationText {
    /// Seconds per unit letter.
    private static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]

    /// Parses `text`, or returns nil when it is not such a duration or is zero.
    public static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number: Int64?
        var sawUnit = false
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let (multiplied, overflow1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (added, overflow2) = multiplied.addingReportingOverflow(Int64(digit))
                if overflow1 || overflow2 || added > 10_000_000 { return nil }
                number = added
            } else if let unit = units[character], let value = number {
                total += value * unit
                number = nil
                sawUnit = true
            } else {
                return nil
            }
        }
        guard number == nil, sawUnit, total > 0 else { return nil }
        return .seconds(total)
    }

    /// Formats a duration compactly (`1h30m`, `45s`), the inverse of `parse` for whole seconds.
    public static func format(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        if seconds == 0 { return "0s" }
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= size {
            parts.append("\(seconds / size)\(unit)")
            seconds %= size
        }
        return parts.joined()
    }
}
