/// A wall-clock date and time in some zone, with its ISO 8601 week, as calendars (retention's
/// hourly, daily, weekly, monthly and yearly buckets) need it.
public struct LocalDateTime: Sendable, Hashable {
    /// The calendar year.
    public var year: Int
    /// 1 to 12.
    public var month: Int
    /// 1 to 31.
    public var day: Int
    /// 0 to 23.
    public var hour: Int
    /// 0 to 59.
    public var minute: Int
    /// 0 to 59.
    public var second: Int
    /// The year the ISO week belongs to (differs from `year` around New Year).
    public var isoWeekYear: Int
    /// The ISO week, 1 to 53 (weeks start on Monday; week 1 holds the year's first Thursday).
    public var isoWeek: Int

    /// The date and time of local wall-clock seconds since 1970-01-01T00:00.
    init(wallSeconds: Int) {
        let dayNumber = CivilCalendar.floorDiv(wallSeconds, CivilCalendar.secondsPerDay)
        let secondOfDay = wallSeconds - dayNumber * CivilCalendar.secondsPerDay
        let date = CivilCalendar.date(dayNumber: dayNumber)
        year = date.year
        month = date.month
        day = date.day
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        // The ISO week's Thursday decides its year.
        let mondayBased = CivilCalendar.floorMod(CivilCalendar.weekday(dayNumber: dayNumber) + 6, 7)
        let thursday = dayNumber - mondayBased + 3
        let weekYear = CivilCalendar.date(dayNumber: thursday).year
        isoWeekYear = weekYear
        isoWeek = (thursday - CivilCalendar.dayNumber(year: weekYear, month: 1, day: 1)) / 7 + 1
    }
}
