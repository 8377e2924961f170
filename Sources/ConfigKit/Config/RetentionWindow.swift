/// `keepWithin`'s window: whole days and hours, as restic's `--keep-within` reads `14d` or `1d12h`.
///
/// Days are calendar days in the job's time zone (a day across a DST change is 23 or 25 hours),
/// hours are exact hours, so `14d` means "the same wall-clock time 14 days before".
public struct RetentionWindow: Sendable, Hashable, CustomStringConvertible {
    /// Calendar days.
    public var days: Int
    /// Exact hours.
    public var hours: Int

    /// A window of `days` and `hours`.
    public init(days: Int = 0, hours: Int = 0) {
        self.days = days
        self.hours = hours
    }

    /// Parses `14d`, `30h`, `1d12h` (also `2w` for weeks); nil for anything else or a zero window.
    public static func parse(_ text: String) -> RetentionWindow? {
        var window = RetentionWindow()
        var number: Int?
        var lastUnit = -1
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                let next = (number ?? 0) * 10 + digit
                guard next <= 1_000_000 else { return nil }
                number = next
                continue
            }
            let order: Int
            switch character {
            case "w": order = 0
            case "d": order = 1
            case "h": order = 2
            default: return nil
            }
            guard let value = number, order > lastUnit else { return nil }
            switch order {
            case 0: window.days += value * 7
            case 1: window.days += value
            default: window.hours += value
            }
            lastUnit = order
            number = nil
        }
        guard number == nil, lastUnit >= 0, window.days + window.hours > 0 else { return nil }
        return window
    }

    /// `14d`, `30h`, `1d12h`.
    public var description: String {
        var text = days > 0 ? "\(days)d" : ""
        if hours > 0 { text += "\(hours)h" }
        return text
    }
}
