/// The POSIX TZ string that ends a TZif v2+ file (RFC 8536 section 3.3), which describes the
/// offsets after the last listed transition, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`,
/// `<+1030>-10:30<+11>-11,M10.1.0,M4.1.0` or v3's `EET-2EEST,M3.4.4/50,M10.4.4/50`.
struct PosixTimeZoneRule: Sendable, Hashable {
    /// The day of the year on which a change happens.
    enum RuleDay: Sendable, Hashable {
        /// `Jn`: day n, 1-365, never counting February 29th.
        case julian(Int)
        /// `n`: day n, 0-365, counting February 29th.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (1-5, 5 = last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    /// When a change happens: a day and a local time (seconds, may be negative or beyond 24 h).
    struct Change: Sendable, Hashable {
        var day: RuleDay
        var time: Int
    }

    /// Daylight-saving time: its offset and the changes into and out of it.
    struct Daylight: Sendable, Hashable {
        var offset: Int
        var start: Change
        var end: Change
    }

    /// UTC offset of standard time in seconds (east positive, unlike the TZ string's sign).
    var standardOffset: Int
    /// Daylight-saving time, if the rule has any.
    var daylight: Daylight?

    /// Parses a TZ string; nil when it is malformed.
    init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.skipName(), let std = scanner.offset() else { return nil }
        standardOffset = -std
        if scanner.atEnd {
            daylight = nil
            return
        }
        guard scanner.skipName() else { return nil }
        var dstOffset = standardOffset + 3600
        if !scanner.atEnd, scanner.peek != UInt8(ascii: ",") {
            guard let value = scanner.offset() else { return nil }
            dstOffset = -value
        }
        // POSIX leaves a missing rule to the implementation; zic never writes one, glibc uses the US rule.
        var start = Change(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200)
        var end = Change(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
        if !scanner.atEnd {
            guard scanner.take(","), let s = scanner.change(), scanner.take(","), let e = scanner.change(),
                  scanner.atEnd else { return nil }
            (start, end) = (s, e)
        }
        daylight = Daylight(offset: dstOffset, start: start, end: end)
    }

    /// The instants at which daylight-saving time starts and ends in `year` (nil without DST).
    func transitions(year: Int) -> (start: Int, end: Int)? {
        guard let daylight else { return nil }
        let start = Self.dayNumber(daylight.start.day, year: year) * CivilCalendar.secondsPerDay
            + daylight.start.time - standardOffset
        let end = Self.dayNumber(daylight.end.day, year: year) * CivilCalendar.secondsPerDay
            + daylight.end.time - daylight.offset
        return (start, end)
    }

    /// The UTC offset at `instant` by this rule alone (slow; used while building tables).
    func offset(at instant: Int) -> Int {
        guard let daylight else { return standardOffset }
        let year = CivilCalendar.date(dayNumber: CivilCalendar.floorDiv(instant, CivilCalendar.secondsPerDay)).year
        var changes: [(instant: Int, offset: Int)] = []
        for y in (year - 1)...(year + 1) {
            guard let (start, end) = transitions(year: y) else { continue }
            changes.append((start, daylight.offset))
            changes.append((end, standardOffset))
        }
        let before = changes.filter { $0.instant <= instant }.max { $0.instant < $1.instant }
        return before?.offset ?? standardOffset
    }

    private static func dayNumber(_ day: RuleDay, year: Int) -> Int {
        let january1 = CivilCalendar.dayNumber(year: year, month: 1, day: 1)
        switch day {
        case .julian(let n):
            return january1 + n - 1 + (CivilCalendar.isLeapYear(year) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            return january1 + n
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilCalendar.dayNumber(year: year, month: month, day: 1)
            let length = CivilCalendar.monthLength(year: year, month: month)
            var offset = (weekday - CivilCalendar.weekday(dayNumber: first) + 7) % 7 + 7 * (week - 1)
            while offset >= length { offset -= 7 }
            return first + offset
        }
    }

    /// A cursor over the TZ string's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func take(_ c: Character) -> Bool {
            guard let p = peek, p == c.asciiValue else { return false }
            index += 1
            return true
        }

        /// `<+1030>` or an alphabetic name such as `CEST`.
        mutating func skipName() -> Bool {
            if take("<") {
                let start = index
                while let p = peek, p != UInt8(ascii: ">") { index += 1 }
                guard index > start, take(">") else { return false }
                return true
            }
            let start = index
            while let p = peek, (p | 0x20) >= UInt8(ascii: "a"), (p | 0x20) <= UInt8(ascii: "z") { index += 1 }
            return index - start >= 3
        }

        mutating func number(maxDigits: Int) -> Int? {
            var value = 0, digits = 0
            while let p = peek, p >= UInt8(ascii: "0"), p <= UInt8(ascii: "9"), digits < maxDigits {
                value = value * 10 + Int(p - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }

        /// `[+-]hh[:mm[:ss]]` as signed seconds; hours up to 167 as RFC 8536 allows for times.
        mutating func offset() -> Int? {
            var sign = 1
            if take("-") { sign = -1 } else { _ = take("+") }
            guard let hours = number(maxDigits: 3), hours <= 167 else { return nil }
            var seconds = hours * 3600
            if take(":") {
                guard let minutes = number(maxDigits: 2), minutes < 60 else { return nil }
                seconds += minutes * 60
                if take(":") {
                    guard let secs = number(maxDigits: 2), secs < 60 else { return nil }
                    seconds += secs
                }
            }
            return sign * seconds
        }

        /// `date[/time]` with time defaulting to 02:00.
        mutating func change() -> Change? {
            let day: RuleDay
            if take("J") {
                guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
                day = .julian(n)
            } else if take("M") {
                guard let m = number(maxDigits: 2), (1...12).contains(m), take("."),
                      let w = number(maxDigits: 1), (1...5).contains(w), take("."),
                      let d = number(maxDigits: 1), (0...6).contains(d) else { return nil }
                day = .monthWeekDay(month: m, week: w, weekday: d)
            } else {
                guard let n = number(maxDigits: 3), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var time = 7200
            if take("/") {
                guard let t = offset() else { return nil }
                time = t
            }
            return Change(day: day, time: time)
        }
    }
}
