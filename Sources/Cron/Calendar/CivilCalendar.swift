/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01, Thursday).
///
/// The conversions follow Howard Hinnant's `days_from_civil`/`civil_from_days`; they are exact for
/// every year an `Int` can hold, which keeps the cron search free of Foundation calendars.
enum CivilCalendar {
    /// Seconds in a civil day (UTC has no leap seconds in TZif data we accept).
    static let secondsPerDay = 86_400
    /// Days in a 400-year Gregorian cycle, a whole number of weeks (20 871).
    static let daysPer400Years = 146_097

    /// The day number of `year-month-day`.
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12  // March = 0, so February is last and its length does not matter
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPer400Years + dayOfEra - 719_468
    }

    /// The civil date of a day number.
    static func date(dayNumber: Int) -> (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - (daysPer400Years - 1)) / daysPer400Years
        let dayOfEra = z - era * daysPer400Years
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The weekday of a day number, 0 = Sunday … 6 = Saturday.
    static func weekday(dayNumber: Int) -> Int {
        floorMod(dayNumber + 4, 7)
    }

    /// Whether `year` has a February 29th.
    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` of `year`.
    static func monthLength(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Division rounding towards negative infinity.
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// The remainder of `floorDiv`, always in `0..<b` for positive `b`.
    static func floorMod(_ a: Int, _ b: Int) -> Int {
        let r = a % b
        return r < 0 ? r + b : r
    }
}
