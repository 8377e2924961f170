/// The fields of a cron expression, with their ranges, names and wording for error messages.
enum CronField: Int, Sendable, CaseIterable {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    /// The name used in error messages ("day-of-month field: …").
    var name: String {
        switch self {
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// The values a number may take; day-of-week runs to 7 (Sunday again).
    var range: ClosedRange<Int> {
        switch self {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// Three-letter names, index 0 meaning the field's value `nameBase`.
    var names: [String] {
        switch self {
        case .month: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        default: []
        }
    }

    /// The value of `names[0]`.
    var nameBase: Int { self == .month ? 1 : 0 }

    /// How to write a valid value of this field, for the end of error messages.
    var validValues: String {
        switch self {
        case .month: "1-12 or JAN-DEC"
        case .dayOfWeek: "0-7 or SUN-SAT"
        default: "\(range.lowerBound)-\(range.upperBound)"
        }
    }

    /// The value of a three-letter name (any letter case), or nil.
    func value(ofName text: Substring) -> Int? {
        guard text.count == 3 else { return nil }
        let upper = text.uppercased()
        guard let index = names.firstIndex(of: upper) else { return nil }
        return index + nameBase
    }
}
