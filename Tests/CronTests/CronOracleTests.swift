import Foundation
import Testing
@testable import Cron

/// CRON.md read literally and slowly: scan every minute (or second) of a window, check the wall
/// clock against the fields, and apply the DST rules by looking at neighbouring offsets. Written
/// independently of the bitset search it checks; it shares only the parser and the calendar.
struct BruteForceCron {
    let spec: CronSpec
    let zone: ZoneRules

    private func has(_ bits: UInt64, _ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        guard has(spec.months, month) else { return false }
        let length = CivilCalendar.monthLength(year: year, month: month)
        let weekdayOf = { (d: Int) in CivilCalendar.weekday(dayNumber: CivilCalendar.dayNumber(year: year, month: month, day: d)) }
        let weekday = weekdayOf(day)
        var dom = has(spec.daysOfMonth, day)
        if spec.lastDayOfMonth, day == length { dom = true }
        if spec.lastBusinessDayOfMonth {
            var last = length
            while weekdayOf(last) == 0 || weekdayOf(last) == 6 { last -= 1 }
            if day == last { dom = true }
        }
        for n in 1...31 where has(spec.nearestBusinessDays, n) && n <= length {
            var target = n
            if weekdayOf(n) == 6 { target = n == 1 ? 3 : n - 1 }
            if weekdayOf(n) == 0 { target = n == length ? n - 2 : n + 1 }
            if day == target { dom = true }
        }
        var dow = has(spec.daysOfWeek, weekday)
        if has(spec.lastWeekdaysOfMonth, weekday), day + 7 > length { dow = true }
        if has(spec.nthWeekdaysOfMonth, ((day - 1) / 7) * 7 + weekday) { dow = true }
        return spec.dayRule == .and ? dom && dow : dom || dow
    }

    func wallMatches(_ wall: Int) -> Bool {
        let dayNumber = CivilCalendar.floorDiv(wall, 86400)
        let second = wall - dayNumber * 86400
        guard has(spec.hours, second / 3600), has(spec.minutes, second / 60 % 60), has(spec.seconds, second % 60) else {
            return false
        }
        let date = CivilCalendar.date(dayNumber: dayNumber)
        return dayMatches(year: date.year, month: date.month, day: date.day)
    }

    /// Fire instants in `(start, end]`.
    func fires(after start: Int, through end: Int) -> [Int] {
        let step = spec.hasSeconds ? 1 : 60
        let offset = { (t: Int) in zone.table.offset(at: t) }
        let offsets = Set(stride(from: start - 3 * 86400, through: end + 86400, by: 900).map(offset))
        var result = Set<Int>()
        var t = CivilCalendar.floorDiv(start, step) * step + step
        while t <= end {
            let wall = t + offset(t)
            if wallMatches(wall) {
                let earlier = offsets.contains { o in o != offset(t) && wall - o < t && offset(wall - o) == o }
                if !(spec.isFixedTime && earlier) { result.insert(t) }
            }
            t += step
        }
        if spec.isFixedTime {
            var u = CivilCalendar.floorDiv(start - 86400, 60) * 60
            while u <= end {
                let (before, after) = (offset(u - 1), offset(u))
                if after > before, u > start,
                   stride(from: u + before, to: u + after, by: step).contains(where: wallMatches) {
                    result.insert(u)
                }
                u += 60
            }
        }
        return result.sorted()
    }
}

@Suite("Cron schedules against a brute-force oracle")
struct CronOracleTests {
    static let zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Gaza",
                        "America/Nuuk", "Europe/Dublin", "America/Havana", "Pacific/Chatham", "Antarctica/Troll",
                        "Asia/Kathmandu", "UTC", "America/St_Johns", "Africa/Casablanca", "Australia/Sydney"]

    private static func randomField(_ index: Int, _ rng: inout SeededGenerator) -> String {
        func pick(_ options: [String]) -> String { options.randomElement(using: &rng)! }
        func n(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
        switch index {
        case 0: return pick(["*", "*/\(n(1...30))", "\(n(0...59))", "\(n(0...20))-\(n(30...59))/\(n(5...20))", "0,30", "15/15", "0-59"])
        case 1: return pick(["*", "*/\(n(1...6))", "\(n(0...3))", "\(n(0...2))-\(n(2...5))", "1,2,3", "2", "23,0", "0-23"])
        case 2: return pick(["*", "*", "*/\(n(1...5))", "\(n(1...28))-31", "1-31/2", "L", "LW", "\(n(1...31))W", "?", "13", "*/10,L"])
        case 3: return pick(["*", "*", "*", "*/2", "3,4,9,10,11", "MAR-NOV"])
        default: return pick(["*", "*", "0", "7", "*/2", "MON-FRI", "SUN", "5L", "0L", "MON#\(n(1...5))", "?", "sat,SUN#2", "1/2"])
        }
    }

    /// Random expressions (extensions included) in 15 zones, started on either side of DST
    /// transitions: every fire time in a two-day window equals the brute-force oracle's.
    @Test(arguments: 0..<6)
    func matchesOracleAroundTransitions(batch: Int) throws {
        var rng = SeededGenerator(seed: UInt64(batch) &* 7919 &+ 17)
        var compared = 0
        for _ in 0..<40 {
            let zoneName = Self.zones.randomElement(using: &rng)!
            let zone = Zones.named(zoneName)
            let text = (0..<5).map { Self.randomField($0, &rng) }.joined(separator: " ")
            guard let expression = try? CronExpression(text) else { continue }
            let year = [2024, 2026, 2031, 2038, 2050, 2199, 2500].randomElement(using: &rng)!
            let yearStart = CivilCalendar.dayNumber(year: year, month: 1, day: 1) * 86400 + Int.random(in: 0..<(360 * 86400), using: &rng)
            let transition = zone.table.offsetAndNextTransition(at: yearStart).next ?? yearStart
            var start = transition - Int.random(in: 0...(36 * 3600), using: &rng)
            if Bool.random(using: &rng) { start = start / 1800 * 1800 }
            let end = start + 2 * 86400
            let expected = BruteForceCron(spec: expression.spec, zone: zone).fires(after: start, through: end)
            let schedule = CronSchedule(expression, in: zone)
            var got: [Int] = []
            var t = start
            while let fire = schedule.nextInstant(after: t), fire <= end {
                got.append(fire)
                t = fire
            }
            #expect(got == expected, "\(text) in \(zoneName) after \(zone.iso8601(Date(timeIntervalSince1970: Double(start))))")
            compared += 1
        }
        #expect(compared >= 20)
    }

    /// Day matching over decades: random day fields in UTC from random starts between 1900 and
    /// 2400 give the same next day as scanning the calendar day by day.
    @Test(arguments: 0..<4)
    func calendarMatchesDayScan(batch: Int) throws {
        var rng = SeededGenerator(seed: UInt64(batch) &+ 4242)
        for _ in 0..<150 {
            let fields = (2..<5).map { Self.randomField($0, &rng) }
            let extra = ["29 2 *", "31 * *", "29 2 */7", "? 2 MON#5", "L 2 0L", "30 2 MON", "1W 8 *", "31W * *", "30W * *",
                         "1W * *", "2W * *", "LW * *", "29W 2 *", "L * 5L", "*/15 * MON#2", "? * 6L", "15W * FRI#3", "1,15 * 0L"]
            let days = Bool.random(using: &rng) ? extra.randomElement(using: &rng)! : fields.joined(separator: " ")
            let text = "7 5 " + days
            guard let expression = try? CronExpression(text) else { continue }
            let oracle = BruteForceCron(spec: expression.spec, zone: .utc)
            let startDay = Int.random(in: CivilCalendar.dayNumber(year: 1900, month: 1, day: 1)...CivilCalendar.dayNumber(year: 2400, month: 1, day: 1), using: &rng)
            var day = startDay
            var expected: Int?
            while day < startDay + 60 * 366 {
                let date = CivilCalendar.date(dayNumber: day)
                if oracle.dayMatches(year: date.year, month: date.month, day: date.day) {
                    expected = day * 86400 + 5 * 3600 + 7 * 60
                    break
                }
                day += 1
            }
            let got = CronSchedule(expression, in: .utc).nextInstant(after: startDay * 86400)
            #expect(got == expected, "\(text) from day \(startDay)")
        }
    }

    /// Six-field (seconds) expressions against a second-by-second scan of two hours.
    @Test func secondsMatchOracle() throws {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<30 {
            let seconds = ["*", "*/7", "0,30", "5-10", "59", "10/20"].randomElement(using: &rng)!
            let text = seconds + " " + (0..<5).map { Self.randomField($0, &rng) }.joined(separator: " ")
            guard let expression = try? CronExpression(text) else { continue }
            let start = Int(instant("2026-06-01T00:00:00Z").timeIntervalSince1970) + Int.random(in: 0..<(400 * 86400), using: &rng)
            let expected = BruteForceCron(spec: expression.spec, zone: .utc).fires(after: start, through: start + 7200)
            let schedule = CronSchedule(expression, in: .utc)
            var got: [Int] = []
            var t = start
            while let fire = schedule.nextInstant(after: t), fire <= start + 7200 {
                got.append(fire)
                t = fire
            }
            #expect(got == expected, "\(text)")
        }
    }

    /// The calendar conversions agree with themselves and known anchors for every day of years 1-9999.
    @Test func civilCalendarRoundTrips() {
        #expect(CivilCalendar.dayNumber(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.dayNumber(year: 2000, month: 3, day: 1) == 11017)
        #expect(CivilCalendar.weekday(dayNumber: 0) == 4)
        #expect(CivilCalendar.weekday(dayNumber: CivilCalendar.dayNumber(year: 2026, month: 3, day: 29)) == 0)
        #expect(CivilCalendar.weekday(dayNumber: CivilCalendar.dayNumber(year: 1, month: 1, day: 1)) == 1)
        var (year, month, day) = (1, 1, 1)
        var failures = 0
        for n in CivilCalendar.dayNumber(year: 1, month: 1, day: 1)..<CivilCalendar.dayNumber(year: 10000, month: 1, day: 1) {
            let date = CivilCalendar.date(dayNumber: n)
            if date != (year, month, day) || CivilCalendar.dayNumber(year: year, month: month, day: day) != n {
                failures += 1
            }
            day += 1
            if day > CivilCalendar.monthLength(year: year, month: month) {
                (day, month) = (1, month + 1)
                if month > 12 { (month, year) = (1, year + 1) }
            }
        }
        #expect(failures == 0)
        #expect((year, month, day) == (10000, 1, 1))
    }
}
