import Foundation
import Testing
@testable import Cron

/// A schedule row: expression, zone, start instant and the fire times expected after it.
struct ScheduleCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var zone: String
    var from: String
    var expected: [String]
    var testDescription: String { "\(expression) in \(zone) after \(from)" }

    init(_ expression: String, _ zone: String, _ from: String, _ expected: [String]) {
        (self.expression, self.zone, self.from, self.expected) = (expression, zone, from, expected)
    }
}

@Suite("Cron schedules")
struct CronScheduleTests {
    /// Calendar rules, in UTC.
    static let calendar: [ScheduleCase] = [
        ScheduleCase("*/7 * * * *", "UTC", "2026-01-01T00:50:00Z",
                     ["2026-01-01T00:56:00+00:00", "2026-01-01T01:00:00+00:00", "2026-01-01T01:07:00+00:00"]),
        ScheduleCase("5/15 * * * *", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-01T00:05:00+00:00", "2026-01-01T00:20:00+00:00", "2026-01-01T00:35:00+00:00",
                      "2026-01-01T00:50:00+00:00", "2026-01-01T01:05:00+00:00"]),
        ScheduleCase("55/10 * * * *", "UTC", "2026-01-01T00:00:00Z", ["2026-01-01T00:55:00+00:00", "2026-01-01T01:55:00+00:00"]),
        // Start at a fire time, inside a fire minute, and just before one.
        ScheduleCase("*/5 * * * *", "UTC", "2026-01-01T00:05:00Z", ["2026-01-01T00:10:00+00:00"]),
        ScheduleCase("*/5 * * * *", "UTC", "2026-01-01T00:05:30Z", ["2026-01-01T00:10:00+00:00"]),
        ScheduleCase("*/5 * * * *", "UTC", "2026-01-01T00:04:59.5Z", ["2026-01-01T00:05:00+00:00"]),
        ScheduleCase("*/5 * * * *", "UTC", "2026-01-01T00:05:00.001Z", ["2026-01-01T00:10:00+00:00"]),
        ScheduleCase("0 0 */10 * *", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-11T00:00:00+00:00", "2026-01-21T00:00:00+00:00", "2026-01-31T00:00:00+00:00",
                      "2026-02-01T00:00:00+00:00", "2026-02-11T00:00:00+00:00"]),
        // 2026-01-01 is a Thursday.
        ScheduleCase("0 0 * * */2", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00", "2026-01-06T00:00:00+00:00",
                      "2026-01-08T00:00:00+00:00"]),
        ScheduleCase("0 0 * * 1/2", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-02T00:00:00+00:00", "2026-01-04T00:00:00+00:00", "2026-01-05T00:00:00+00:00",
                      "2026-01-07T00:00:00+00:00"]),
        ScheduleCase("0 0 * * */7", "UTC", "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ScheduleCase("0 0 * * SAT-7", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00", "2026-01-10T00:00:00+00:00"]),
        ScheduleCase("0 0 * FEB-AUG/2 1", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00", "2026-02-16T00:00:00+00:00",
                      "2026-02-23T00:00:00+00:00", "2026-04-06T00:00:00+00:00"]),
        // OR: every 13th plus every Friday.
        ScheduleCase("0 0 13 * 5", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00", "2026-01-13T00:00:00+00:00",
                      "2026-01-16T00:00:00+00:00", "2026-01-23T00:00:00+00:00", "2026-01-30T00:00:00+00:00",
                      "2026-02-06T00:00:00+00:00", "2026-02-13T00:00:00+00:00", "2026-02-20T00:00:00+00:00"]),
        // OR: odd days or Mondays (Jan 12 is an even Monday).
        ScheduleCase("0 0 1-31/2 * MON", "UTC", "2026-01-08T00:00:00Z",
                     ["2026-01-09T00:00:00+00:00", "2026-01-11T00:00:00+00:00", "2026-01-12T00:00:00+00:00",
                      "2026-01-13T00:00:00+00:00"]),
        // AND: odd days that are Mondays.
        ScheduleCase("0 0 */2 * MON", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-05T00:00:00+00:00", "2026-01-19T00:00:00+00:00", "2026-02-09T00:00:00+00:00",
                      "2026-02-23T00:00:00+00:00"]),
        ScheduleCase("0 0 1 * */1", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"]),
        ScheduleCase("1 1 */31,1-7 * MON", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-05T01:01:00+00:00", "2026-02-02T01:01:00+00:00", "2026-03-02T01:01:00+00:00",
                      "2026-04-06T01:01:00+00:00", "2026-05-04T01:01:00+00:00", "2026-06-01T01:01:00+00:00"]),
        // OR with an impossible day: February Mondays.
        ScheduleCase("0 0 30 2 MON", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00", "2026-02-16T00:00:00+00:00",
                      "2026-02-23T00:00:00+00:00", "2027-02-01T00:00:00+00:00"]),
        ScheduleCase("0 0 31 * *", "UTC", "2026-01-31T00:00:00Z",
                     ["2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00",
                      "2026-08-31T00:00:00+00:00", "2026-10-31T00:00:00+00:00", "2026-12-31T00:00:00+00:00",
                      "2027-01-31T00:00:00+00:00"]),
        // Leap days: 2000 is a leap year, 2100 is not; search 50+ years.
        ScheduleCase("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]),
        ScheduleCase("0 0 29 2 *", "UTC", "2097-01-01T00:00:00Z", ["2104-02-29T00:00:00+00:00", "2108-02-29T00:00:00+00:00"]),
        ScheduleCase("0 0 29 2 *", "UTC", "1999-01-01T00:00:00Z", ["2000-02-29T00:00:00+00:00", "2004-02-29T00:00:00+00:00"]),
        ScheduleCase("0 0 29 2 *", "UTC", "2096-02-29T00:00:00Z", ["2104-02-29T00:00:00+00:00"]),
        ScheduleCase("0 0 * 2 *", "UTC", "2100-02-27T12:00:00Z", ["2100-02-28T00:00:00+00:00", "2100-03-01T00:00:00+00:00"].dropLast().map { $0 } + ["2101-02-01T00:00:00+00:00"]),
        // February 29th on a Sunday: 40 years apart across 2100.
        ScheduleCase("0 0 29 2 */7", "UTC", "2089-01-01T00:00:00Z", ["2128-02-29T00:00:00+00:00", "2156-02-29T00:00:00+00:00"]),
        ScheduleCase("0 0 29 2 */7", "UTC", "2026-01-01T00:00:00Z", ["2032-02-29T00:00:00+00:00", "2060-02-29T00:00:00+00:00"]),
        // Macros.
        ScheduleCase("@yearly", "UTC", "2026-06-15T10:00:00Z", ["2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"]),
        ScheduleCase("@annually", "UTC", "2026-12-31T23:59:59Z", ["2027-01-01T00:00:00+00:00"]),
        ScheduleCase("@monthly", "UTC", "2026-01-31T00:00:00Z", ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]),
        ScheduleCase("@weekly", "UTC", "2026-06-15T10:00:00Z", ["2026-06-21T00:00:00+00:00", "2026-06-28T00:00:00+00:00"]),
        ScheduleCase("@daily", "UTC", "2026-06-15T00:00:00Z", ["2026-06-16T00:00:00+00:00"]),
        ScheduleCase("@midnight", "UTC", "2026-06-15T23:59:59Z", ["2026-06-16T00:00:00+00:00"]),
        ScheduleCase("@hourly", "UTC", "2026-06-15T10:00:00Z", ["2026-06-15T11:00:00+00:00", "2026-06-15T12:00:00+00:00"]),
        // Offsets that are not whole hours, and a start given in another offset.
        ScheduleCase("@daily", "Asia/Kathmandu", "2026-01-01T00:00:00+05:45", ["2026-01-02T00:00:00+05:45"]),
        ScheduleCase("0 9 * * *", "America/New_York", "2026-07-01T09:00:00+02:00", ["2026-07-01T09:00:00-04:00"]),
        ScheduleCase("0 9 * * *", "America/St_Johns", "2026-01-10T00:00:00Z", ["2026-01-10T09:00:00-03:30"]),
        // Year-end and far future.
        ScheduleCase("59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", ["2027-12-31T23:59:00+00:00"]),
        ScheduleCase("0 0 1 1 *", "UTC", "9998-06-01T00:00:00Z", ["9999-01-01T00:00:00+00:00"]),
        ScheduleCase("0 0 1 1 *", "UTC", "0001-01-01T00:00:00Z", ["0002-01-01T00:00:00+00:00"]),
    ]

    /// Calendar rules: steps, names, OR/AND, short months, leap years, far searches.
    @Test(arguments: calendar)
    func calendarRules(_ row: ScheduleCase) throws {
        #expect(try fireTimes(row.expression, zone: row.zone, from: row.from, count: row.expected.count) == row.expected)
    }

    /// DST rows. Berlin: 2026-03-29 02:00→03:00 (01:00Z), 2026-10-25 03:00→02:00 (01:00Z).
    /// New York: 2026-03-08 02:00→03:00 (07:00Z), 2026-11-01 02:00→01:00 (06:00Z).
    /// Lord Howe: 2026-04-05 02:00→01:30 (15:00Z on the 4th), 2026-10-04 02:00→02:30 (15:30Z on the 3rd).
    static let daylightSaving: [ScheduleCase] = [
        // Berlin spring-forward, fixed-time: the skipped 02:30 fires once at 03:00+02:00.
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
                     ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        ScheduleCase("0,30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
                     ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        // Skipped 02:00 and the real 03:00 collapse into one run.
        ScheduleCase("0 2,3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
                     ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T03:00:00+02:00"]),
        ScheduleCase("0 1-4 * * *", "Europe/Berlin", "2026-03-28T23:30:00Z",
                     ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00",
                      "2026-03-30T01:00:00+02:00"]),
        // A start exactly at the gap instant, and just before it.
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z", ["2026-03-30T02:30:00+02:00"]),
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-03-29T00:59:59Z", ["2026-03-29T03:00:00+02:00"]),
        // Wildcard: skipped wall times never fire.
        ScheduleCase("*/30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
                     ["2026-03-30T02:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        ScheduleCase("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00Z",
                     ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"]),
        ScheduleCase("@hourly", "Europe/Berlin", "2026-03-29T00:30:00Z",
                     ["2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"]),
        // Berlin fall-back, fixed-time: only the first 02:30 fires.
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
                     ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", ["2026-10-26T02:30:00+01:00"]),
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2026-10-25T01:15:00Z", ["2026-10-26T02:30:00+01:00"]),
        ScheduleCase("0 2 * * *", "Europe/Berlin", "2026-10-25T00:10:00Z", ["2026-10-26T02:00:00+01:00"]),
        // Wildcard: repeated wall times fire twice.
        ScheduleCase("*/30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
                     ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
                      "2026-10-25T02:30:00+01:00", "2026-10-26T02:00:00+01:00"]),
        ScheduleCase("*/30 2 * * *", "Europe/Berlin", "2026-10-25T01:00:00Z",
                     ["2026-10-25T02:30:00+01:00", "2026-10-26T02:00:00+01:00"]),
        ScheduleCase("*/30 2 * * *", "Europe/Berlin", "2026-10-25T00:45:00Z",
                     ["2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00"]),
        ScheduleCase("@hourly", "Europe/Berlin", "2026-10-24T23:30:00Z",
                     ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]),
        // Past the TZif transitions the TZ footer rules (last Sundays of March and October 2050).
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2050-03-26T12:00:00Z",
                     ["2050-03-27T03:00:00+02:00", "2050-03-28T02:30:00+02:00"]),
        ScheduleCase("*/30 2 * * *", "Europe/Berlin", "2050-10-29T12:00:00Z",
                     ["2050-10-30T02:00:00+02:00", "2050-10-30T02:30:00+02:00", "2050-10-30T02:00:00+01:00",
                      "2050-10-30T02:30:00+01:00"]),
        ScheduleCase("30 2 * * *", "Europe/Berlin", "2424-03-30T12:00:00Z", ["2424-03-31T03:00:00+02:00"]),
        // Beyond the 400 generated footer years, lookups shift by whole Gregorian cycles.
        ScheduleCase("30 2 * * *", "Europe/Berlin", "3026-03-25T12:00:00Z", ["3026-03-26T03:00:00+02:00"]),
        ScheduleCase("30 2 * * *", "Europe/Berlin", "9001-10-24T12:00:00Z",
                     ["9001-10-25T02:30:00+02:00", "9001-10-26T02:30:00+01:00"]),
        // New York.
        ScheduleCase("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
                     ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        ScheduleCase("30 1 * * *", "America/New_York", "2026-11-01T05:45:00Z", ["2026-11-02T01:30:00-05:00"]),
        ScheduleCase("30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", ["2026-11-02T01:30:00-05:00"]),
        ScheduleCase("30 1 * * *", "America/New_York", "2026-11-01T05:29:59Z", ["2026-11-01T01:30:00-04:00"]),
        ScheduleCase("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
                     ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        ScheduleCase("*/30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
                     ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
                      "2026-11-01T01:30:00-05:00", "2026-11-02T01:00:00-05:00"]),
        ScheduleCase("*/30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
                     ["2026-03-09T02:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        ScheduleCase("0 1-4 * * *", "America/New_York", "2026-03-08T00:00:00Z",
                     ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"]),
        ScheduleCase("15,45 1 * * *", "America/New_York", "2026-11-01T05:20:00Z",
                     ["2026-11-01T01:45:00-04:00", "2026-11-02T01:15:00-05:00"]),
        // Lord Howe: half-hour shifts.
        ScheduleCase("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
                     ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        ScheduleCase("*/15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
                     ["2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00", "2026-10-05T02:00:00+11:00"]),
        ScheduleCase("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z",
                     ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]),
        ScheduleCase("*/15 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z",
                     ["2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00",
                      "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
                      "2026-04-06T01:00:00+10:30"]),
        ScheduleCase("0 2 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z",
                     ["2026-04-05T02:00:00+10:30", "2026-04-06T02:00:00+10:30"]),
        ScheduleCase("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:46:00Z", ["2026-04-06T01:45:00+10:30"]),
        ScheduleCase("15 2 * * *", "Australia/Lord_Howe", "2040-10-06T00:00:00Z", ["2040-10-07T02:30:00+11:00"]),
        // Santiago: clocks jump from 24:00 to 01:00, so midnight itself is skipped.
        ScheduleCase("@daily", "America/Santiago", "2026-09-05T12:00:00Z",
                     ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"]),
        ScheduleCase("*/30 0 * * *", "America/Santiago", "2026-09-05T12:00:00Z",
                     ["2026-09-07T00:00:00-03:00", "2026-09-07T00:30:00-03:00"]),
        // Dublin's "negative DST" rule in its footer: IST-1GMT0,M10.5.0,M3.5.0/1.
        ScheduleCase("30 1 * * *", "Europe/Dublin", "2050-03-26T12:00:00Z",
                     ["2050-03-27T02:00:00+01:00", "2050-03-28T01:30:00+01:00"]),
    ]

    /// CRON.md's DST rules in Berlin, New York, Lord Howe, Santiago and Dublin, both directions.
    @Test(arguments: daylightSaving)
    func daylightSavingRules(_ row: ScheduleCase) throws {
        #expect(try fireTimes(row.expression, zone: row.zone, from: row.from, count: row.expected.count) == row.expected)
    }

    /// Extensions: L, LW, nW (never leaving the month), dL, d#k, ? and seconds.
    static let extensions: [ScheduleCase] = [
        ScheduleCase("0 0 L * *", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-31T00:00:00+00:00", "2026-02-28T00:00:00+00:00", "2026-03-31T00:00:00+00:00"]),
        ScheduleCase("0 0 L 2 *", "UTC", "2027-03-01T00:00:00Z", ["2028-02-29T00:00:00+00:00"]),
        // May 2026 ends on a Sunday; January 2026 on a Saturday.
        ScheduleCase("0 0 LW * *", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-30T00:00:00+00:00", "2026-02-27T00:00:00+00:00", "2026-03-31T00:00:00+00:00"]),
        ScheduleCase("0 0 LW 5 *", "UTC", "2026-01-01T00:00:00Z", ["2026-05-29T00:00:00+00:00"]),
        // August 1st 2026 is a Saturday: Monday the 3rd, not Friday July 31st.
        ScheduleCase("0 0 1W 8 *", "UTC", "2026-01-01T00:00:00Z", ["2026-08-03T00:00:00+00:00"]),
        // May 31st 2026 is a Sunday: Friday the 29th.
        ScheduleCase("0 0 31W 5 *", "UTC", "2026-01-01T00:00:00Z", ["2026-05-29T00:00:00+00:00"]),
        // March 1st 2026 is a Sunday: Monday the 2nd; 14W: March 14th is a Saturday → 13th.
        ScheduleCase("0 0 1W,14W 3 *", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-03-02T00:00:00+00:00", "2026-03-13T00:00:00+00:00", "2027-03-01T00:00:00+00:00"]),
        ScheduleCase("0 0 ? * 5L", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-30T00:00:00+00:00", "2026-02-27T00:00:00+00:00", "2026-03-27T00:00:00+00:00"]),
        ScheduleCase("0 0 * * 0L", "UTC", "2026-01-01T00:00:00Z", ["2026-01-25T00:00:00+00:00", "2026-02-22T00:00:00+00:00"]),
        ScheduleCase("0 0 * * 7L", "UTC", "2026-01-01T00:00:00Z", ["2026-01-25T00:00:00+00:00", "2026-02-22T00:00:00+00:00"]),
        ScheduleCase("0 0 * * MON#2", "UTC", "2026-01-01T00:00:00Z", ["2026-01-12T00:00:00+00:00", "2026-02-09T00:00:00+00:00"]),
        ScheduleCase("0 0 * * 1#5", "UTC", "2026-01-01T00:00:00Z", ["2026-03-30T00:00:00+00:00", "2026-06-29T00:00:00+00:00"]),
        // The 1st OR the first Monday.
        ScheduleCase("0 0 1 * MON#1", "UTC", "2026-01-01T00:00:00Z",
                     ["2026-01-05T00:00:00+00:00", "2026-02-01T00:00:00+00:00", "2026-02-02T00:00:00+00:00",
                      "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"]),
        ScheduleCase("0 0 ? * MON", "UTC", "2026-01-01T00:00:00Z", ["2026-01-05T00:00:00+00:00"]),
        ScheduleCase("0 0 1 * ?", "UTC", "2026-01-01T00:00:00Z", ["2026-02-01T00:00:00+00:00"]),
        ScheduleCase("*/20 * * * * *", "UTC", "2026-01-01T00:00:10Z",
                     ["2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00"]),
        ScheduleCase("30 0 12 * * *", "Europe/Berlin", "2026-01-01T00:00:00Z", ["2026-01-01T12:00:30+01:00"]),
        ScheduleCase("5-7 59 23 31 12 *", "UTC", "2026-12-31T23:59:06Z",
                     ["2026-12-31T23:59:07+00:00", "2027-12-31T23:59:05+00:00"]),
    ]

    /// The extensions, which take part in the OR/AND rule like ordinary values.
    @Test(arguments: extensions)
    func extensionRules(_ row: ScheduleCase) throws {
        #expect(try fireTimes(row.expression, zone: row.zone, from: row.from, count: row.expected.count) == row.expected)
    }

    /// The fire set does not depend on the start: chained `next` calls from any point agree.
    @Test(arguments: ["30 2 * * *", "*/30 1-3 * * *", "0 1-4 * * *", "@hourly", "15,45 * * * 0"])
    func fireSetIndependentOfStart(_ text: String) throws {
        let zone = Zones.named("Europe/Berlin")
        let schedule = CronSchedule(try CronExpression(text), in: zone)
        let all = schedule.nextTimes(after: instant("2026-10-24T00:00:00Z"), count: 60)
        for (i, fire) in all.enumerated().dropLast() {
            #expect(schedule.next(after: fire) == all[i + 1])
            #expect(schedule.next(after: fire.addingTimeInterval(-0.5)) == fire)
        }
    }

    /// A wildcard expression whose only wall times fall into DST gaps has no fire time: nil, fast.
    @Test func neverFiresInGapReturnsNil() throws {
        let schedule = CronSchedule(try CronExpression("*/30 2 ? 3 0L"), in: Zones.named("Europe/Berlin"))
        let clock = ContinuousClock()
        let started = clock.now
        #expect(schedule.next(after: instant("2026-01-01T00:00:00Z")) == nil)
        #expect(clock.now - started < .seconds(5))
        // The fixed-time twin fires at the end of each gap.
        let fixed = CronSchedule(try CronExpression("0,30 2 ? 3 0L"), in: Zones.named("Europe/Berlin"))
        #expect(fixed.next(after: instant("2026-01-01T00:00:00Z")).map(Zones.named("Europe/Berlin").iso8601)
            == "2026-03-29T03:00:00+02:00")
    }

    /// Searches stop at the year 9999 and odd inputs (NaN, infinities, year 1) give nil or a time, not a crash.
    @Test func extremeInstants() throws {
        let schedule = CronSchedule(try CronExpression("0 0 1 1 *"), in: .utc)
        #expect(schedule.next(after: instant("9999-01-01T00:00:00Z")) == nil)
        #expect(schedule.next(after: Date(timeIntervalSince1970: .nan)) == nil)
        #expect(schedule.next(after: .distantFuture).map(ZoneRules.utc.iso8601) == "4002-01-01T00:00:00+00:00")
        #expect(schedule.next(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(schedule.next(after: Date(timeIntervalSince1970: -.infinity)).map(ZoneRules.utc.iso8601)
            == "0001-01-01T00:00:00+00:00")
        #expect(schedule.nextTimes(after: instant("9990-01-01T00:00:00Z"), count: 100).count == 9)
        #expect(schedule.nextTimes(after: instant("2026-01-01T00:00:00Z"), count: 0).isEmpty)
    }
}
