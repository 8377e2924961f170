import Foundation

/// A cron expression bound to a time zone: the set of instants at which it fires, following
/// CRON.md's Debian cron DST rules. The set does not depend on where a search starts.
///
/// The search never steps minute by minute: matching days come from month and weekday bitsets
/// (`CronSpec.dayMask`), matching times within a day from next-set-bit on the hour, minute and
/// second bitsets, and wall times map to instants through the zone's offsets.
public struct CronSchedule: Sendable {
    /// The expression.
    public let expression: CronExpression
    /// The zone whose wall clock the expression reads.
    public let zone: ZoneRules
    let spec: CronSpec

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: fire times are searched in this range.
    static let earliest = CivilCalendar.dayNumber(year: 1, month: 1, day: 1) * CivilCalendar.secondsPerDay
    static let latest = CivilCalendar.dayNumber(year: 10000, month: 1, day: 1) * CivilCalendar.secondsPerDay - 1

    /// Binds `expression` to `zone`.
    public init(_ expression: CronExpression, in zone: ZoneRules) {
        self.expression = expression
        self.zone = zone
        self.spec = expression.spec
    }

    /// The first fire time strictly after `instant`, or nil if there is none before the year 10000
    /// (or ever: only a wildcard expression whose wall times all fall into DST gaps).
    public func next(after instant: Date) -> Date? {
        guard !instant.timeIntervalSince1970.isNaN else { return nil }
        return nextInstant(after: ZoneRules.seconds(instant)).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// The first `count` fire times strictly after `instant`, ascending (fewer if the search ends).
    public func nextTimes(after instant: Date, count: Int) -> [Date] {
        guard !instant.timeIntervalSince1970.isNaN, count > 0 else { return [] }
        var result: [Date] = []
        result.reserveCapacity(min(count, 10_000))
        var t = ZoneRules.seconds(instant)
        while result.count < count, let fire = nextInstant(after: t) {
            result.append(Date(timeIntervalSince1970: Double(fire)))
            t = fire
        }
        return result
    }

    /// The first fire instant (seconds since 1970) strictly after `start`.
    func nextInstant(after start: Int) -> Int? {
        let s = max(start, Self.earliest - 1)
        guard s < Self.latest else { return nil }
        let table = zone.table
        // Offsets that instants mapping to the days searched can have (a week's margin covers
        // walls that an earlier, larger offset puts into the first day).
        let bounds = table.offsetBounds(from: s - 7 * CivilCalendar.secondsPerDay)
        // Past the zone's listed transitions everything repeats every 400 years: if nothing
        // fires within one cycle after both, nothing ever will.
        let horizon = min(max(s, table.lastListedTransition ?? s) + TransitionTable.cycle + 400 * 86_400,
                          Self.latest + bounds.max)
        let lastDay = CivilCalendar.floorDiv(horizon, CivilCalendar.secondsPerDay)
        var day = CivilCalendar.floorDiv(s + 1 + bounds.min, CivilCalendar.secondsPerDay)
        var best: Int?
        while let matching = nextMatchingDay(onOrAfter: day, through: lastDay) {
            let dayStart = matching * CivilCalendar.secondsPerDay
            // Instants whose wall time falls on this day are at least dayStart - max offset.
            if let best, dayStart - bounds.max >= best { break }
            if let fire = firstFire(onDayStarting: dayStart, after: s, bounds: bounds), fire < best ?? .max {
                best = fire
            }
            day = matching + 1
            if let best, day * CivilCalendar.secondsPerDay - bounds.max >= best { break }
        }
        guard let best, best <= Self.latest else { return nil }
        return best
    }

    /// The first matching day number at or after `day`, through `lastDay`.
    func nextMatchingDay(onOrAfter day: Int, through lastDay: Int) -> Int? {
        var (year, month, dayOfMonth) = CivilCalendar.date(dayNumber: day)
        let months = spec.months
        while true {
            let first = CivilCalendar.dayNumber(year: year, month: month, day: 1)
            if first > lastDay { return nil }
            if months & (1 << UInt64(month)) != 0 {
                let length = CivilCalendar.monthLength(year: year, month: month)
                let mask = spec.dayMask(firstWeekday: CivilCalendar.weekday(dayNumber: first), length: length)
                    & ~((1 << UInt64(dayOfMonth)) - 1)
                if mask != 0 {
                    let found = first + mask.trailingZeroBitCount - 1
                    return found <= lastDay ? found : nil
                }
            }
            dayOfMonth = 1
            let later = months & ~((2 << UInt64(month)) - 1)
            if later != 0 {
                month = later.trailingZeroBitCount
            } else {
                year += 1
                month = months.trailingZeroBitCount
            }
        }
    }
}
