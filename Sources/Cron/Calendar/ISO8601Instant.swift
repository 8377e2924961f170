import Foundation

/// ISO 8601 instants as typed on a command line: `2026-03-29T01:30:00+01:00`, `…Z`, `…+0100`,
/// fractional seconds, a space instead of `T`, and a date or time without offset, which is read
/// as local time in a default zone (the earlier instant in a fold; in a gap, shifted forward by
/// the gap's length, so `02:30` on a spring-forward night in Berlin is 03:30+02:00).
public enum ISO8601Instant {
    /// The instant `text` denotes, or nil when it is not such a date-time. Years 0001-9999.
    public static func parse(_ text: String, defaultZone: ZoneRules) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
              let day = scanner.digits(2), year >= 1, (1...12).contains(month),
              (1...CivilCalendar.monthLength(year: year, month: month)).contains(day) else { return nil }
        var secondOfDay = 0
        var fraction = 0.0
        if scanner.take("T") || scanner.take("t") || scanner.take(" ") {
            guard let hour = scanner.digits(2), hour < 24, scanner.take(":"),
                  let minute = scanner.digits(2), minute < 60 else { return nil }
            secondOfDay = hour * 3600 + minute * 60
            if scanner.take(":") {
                guard let second = scanner.digits(2), second < 60 else { return nil }
                secondOfDay += second
                if scanner.take(".") || scanner.take(",") {
                    guard let value = scanner.fraction() else { return nil }
                    fraction = value
                }
            }
        }
        let wall = CivilCalendar.dayNumber(year: year, month: month, day: day) * CivilCalendar.secondsPerDay
            + secondOfDay
        let instant: Int
        if scanner.atEnd {
            instant = defaultZone.instant(forWallTime: wall)
        } else if scanner.take("Z") || scanner.take("z") {
            instant = wall
        } else {
            guard let offset = scanner.offset() else { return nil }
            instant = wall - offset
        }
        guard scanner.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(instant) + fraction)
    }

    /// A cursor over ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ c: Character) -> Bool {
            guard index < bytes.count, bytes[index] == c.asciiValue else { return false }
            index += 1
            return true
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(_ count: Int) -> Int? {
            guard bytes.count - index >= count else { return nil }
            var value = 0
            for b in bytes[index..<index + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            index += count
            return value
        }

        /// One to nine digits after the decimal mark, as a fraction of a second.
        mutating func fraction() -> Double? {
            var value = 0.0, scale = 1.0, count = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                count += 1
                if count <= 9 {
                    scale /= 10
                    value += Double(bytes[index] - UInt8(ascii: "0")) * scale
                }
                index += 1
            }
            return count > 0 ? value : nil
        }

        /// `±HH:MM`, `±HHMM` or `±HH`, as seconds east of UTC.
        mutating func offset() -> Int? {
            let sign: Int
            if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
            guard let hours = digits(2), hours < 24 else { return nil }
            var minutes = 0
            if take(":") {
                guard let m = digits(2) else { return nil }
                minutes = m
            } else if !atEnd {
                guard let m = digits(2) else { return nil }
                minutes = m
            }
            guard minutes < 60 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
    }
}
