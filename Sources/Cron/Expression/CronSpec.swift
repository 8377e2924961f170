/// A parsed cron expression as bitsets, one per field, plus the day-of-month and day-of-week
/// extensions (`L`, `LW`, `nW`, `dL`, `d#k`) that depend on the month.
struct CronSpec: Sendable, Hashable {
    /// How the day-of-month and day-of-week fields combine (Vixie cron rule).
    enum DayRule: Sendable, Hashable {
        /// A day field starts with `*` (or `?`): the day must match both fields.
        case and
        /// Both fields are restricted: the day matches if either does.
        case or
    }

    /// Bit n = second n (only bit 0 for 5-field expressions).
    var seconds: UInt64 = 1
    /// Bit n = minute n.
    var minutes: UInt64 = 0
    /// Bit n = hour n.
    var hours: UInt64 = 0
    /// Bit n = day n of the month (1-31).
    var daysOfMonth: UInt64 = 0
    /// Bit n = month n (1-12).
    var months: UInt64 = 0
    /// Bit n = weekday n (0 = Sunday … 6 = Saturday; 7 is folded into 0).
    var daysOfWeek: UInt64 = 0
    /// `L` in day-of-month: the last day of the month.
    var lastDayOfMonth = false
    /// `LW` in day-of-month: the last Monday-Friday of the month.
    var lastBusinessDayOfMonth = false
    /// `nW` in day-of-month: bit n = the Monday-Friday nearest day n, within the month.
    var nearestBusinessDays: UInt64 = 0
    /// `dL` in day-of-week: bit d = the last weekday d of the month.
    var lastWeekdaysOfMonth: UInt64 = 0
    /// `d#k` in day-of-week: bit (k-1)*7+d = the k-th weekday d of the month.
    var nthWeekdaysOfMonth: UInt64 = 0
    /// AND or OR between the day fields.
    var dayRule: DayRule = .and
    /// Neither the minute nor the hour field starts with `*` (CRON.md's DST rules differ).
    var isFixedTime = false
    /// The expression has a leading seconds field.
    var hasSeconds = false

    /// Bits 1-31 of the days of month `month` in `year` that match, given the weekday of its 1st
    /// (0 = Sunday) and its length. Pure bit arithmetic: the weekday set is rotated to the month.
    func dayMask(firstWeekday: Int, length: Int) -> UInt64 {
        let lengthMask: UInt64 = ((1 << UInt64(length + 1)) - 1) & ~1
        var dom = daysOfMonth
        var dow = Self.weekdayPattern(daysOfWeek, firstWeekday: firstWeekday)
        if lastDayOfMonth || lastBusinessDayOfMonth || nearestBusinessDays != 0 {
            dom |= domExtensions(firstWeekday: firstWeekday, length: length)
        }
        if lastWeekdaysOfMonth != 0 || nthWeekdaysOfMonth != 0 {
            dow |= dowExtensions(firstWeekday: firstWeekday, length: length)
        }
        switch dayRule {
        case .and: return dom & dow & lengthMask
        case .or: return (dom | dow) & lengthMask
        }
    }

    /// Bits 1-35 of the month days whose weekday is in `weekdays`, for a month whose 1st falls on
    /// `firstWeekday`: rotate the 7-bit set so bit j means day j+1, then repeat it weekly.
    static func weekdayPattern(_ weekdays: UInt64, firstWeekday: Int) -> UInt64 {
        let w = UInt64(firstWeekday)
        let rotated = ((weekdays >> w) | (weekdays << (7 - w))) & 0x7F
        let week = rotated << 1
        return week | week << 7 | week << 14 | week << 21 | week << 28
    }

    /// The weekday (0 = Sunday) of `day` in a month whose 1st is `firstWeekday`.
    static func weekday(ofDay day: Int, firstWeekday: Int) -> Int {
        (firstWeekday + day - 1) % 7
    }

    private func domExtensions(firstWeekday: Int, length: Int) -> UInt64 {
        var bits: UInt64 = 0
        if lastDayOfMonth { bits |= 1 << UInt64(length) }
        if lastBusinessDayOfMonth {
            let lastWeekday = Self.weekday(ofDay: length, firstWeekday: firstWeekday)
            let day = lastWeekday == 6 ? length - 1 : lastWeekday == 0 ? length - 2 : length
            bits |= 1 << UInt64(day)
        }
        var nearest = nearestBusinessDays
        while nearest != 0 {
            let n = nearest.trailingZeroBitCount
            nearest &= nearest - 1
            guard n <= length else { continue }  // day n does not exist this month
            var day = n
            switch Self.weekday(ofDay: n, firstWeekday: firstWeekday) {
            case 6: day = n == 1 ? 3 : n - 1  // Saturday: Friday, unless that leaves the month
            case 0: day = n == length ? n - 2 : n + 1  // Sunday: Monday, unless that leaves the month
            default: break
            }
            bits |= 1 << UInt64(day)
        }
        return bits
    }

    private func dowExtensions(firstWeekday: Int, length: Int) -> UInt64 {
        var bits: UInt64 = 0
        var last = lastWeekdaysOfMonth
        let lastWeekday = Self.weekday(ofDay: length, firstWeekday: firstWeekday)
        while last != 0 {
            let d = last.trailingZeroBitCount
            last &= last - 1
            bits |= 1 << UInt64(length - (lastWeekday - d + 7) % 7)
        }
        var nth = nthWeekdaysOfMonth
        while nth != 0 {
            let bit = nth.trailingZeroBitCount
            nth &= nth - 1
            let (k, d) = (bit / 7 + 1, bit % 7)
            let day = 1 + (d - firstWeekday + 7) % 7 + 7 * (k - 1)
            if day <= length { bits |= 1 << UInt64(day) }
        }
        return bits
    }

    /// Whether some day of some listed month can ever match. The calendar repeats every 400
    /// years and each of the 14 kinds of year (weekday of January 1st, leap or not) occurs in
    /// every cycle, so checking those 14 is exact.
    var canEverMatchADay: Bool {
        for leap in [false, true] {
            for januaryFirst in 0..<7 {
                var firstWeekday = januaryFirst
                for month in 1...12 {
                    let length = month == 2 ? (leap ? 29 : 28) : CivilCalendar.monthLength(year: 2001, month: month)
                    if months & (1 << UInt64(month)) != 0,
                       dayMask(firstWeekday: firstWeekday, length: length) != 0 {
                        return true
                    }
                    firstWeekday = (firstWeekday + length) % 7
                }
            }
        }
        return false
    }
}
