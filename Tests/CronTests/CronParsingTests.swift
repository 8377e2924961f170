import Testing
@testable import Cron

/// One field's expected values after parsing an accepted expression.
struct FieldCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var field: CronField
    var expected: [Int]
    var testDescription: String { "\(expression.debugDescription) \(field.name)" }
}

/// A rejected expression with the exact error expected.
struct RejectCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var position: Int
    var token: String
    var reason: String
    var testDescription: String { expression.debugDescription }
}

private func bits(_ spec: CronSpec, _ field: CronField) -> UInt64 {
    switch field {
    case .second: spec.seconds
    case .minute: spec.minutes
    case .hour: spec.hours
    case .dayOfMonth: spec.daysOfMonth
    case .month: spec.months
    case .dayOfWeek: spec.daysOfWeek
    }
}

@Suite("Cron expression parsing")
struct CronParsingTests {
    static let accepted: [FieldCase] = [
        FieldCase(expression: "*/7 * * * *", field: .minute, expected: [0, 7, 14, 21, 28, 35, 42, 49, 56]),
        FieldCase(expression: "5/15 * * * *", field: .minute, expected: [5, 20, 35, 50]),
        FieldCase(expression: "55/10 * * * *", field: .minute, expected: [55]),
        FieldCase(expression: "05 * * * *", field: .minute, expected: [5]),
        FieldCase(expression: "0005 * * * *", field: .minute, expected: [5]),
        FieldCase(expression: "1-1 * * * *", field: .minute, expected: [1]),
        FieldCase(expression: "0-59/59 * * * *", field: .minute, expected: [0, 59]),
        FieldCase(expression: "*/59 * * * *", field: .minute, expected: [0, 59]),
        FieldCase(expression: "10-20/5,1,2 * * * *", field: .minute, expected: [1, 2, 10, 15, 20]),
        FieldCase(expression: "* * * * *", field: .minute, expected: Array(0...59)),
        FieldCase(expression: "0 */23 * * *", field: .hour, expected: [0, 23]),
        FieldCase(expression: "0 8-18/4 * * *", field: .hour, expected: [8, 12, 16]),
        FieldCase(expression: "0 0 */10 * *", field: .dayOfMonth, expected: [1, 11, 21, 31]),
        FieldCase(expression: "0 0 */31 * *", field: .dayOfMonth, expected: [1]),
        FieldCase(expression: "0 0 * */12 *", field: .month, expected: [1]),
        FieldCase(expression: "0 0 * FEB-AUG/2 *", field: .month, expected: [2, 4, 6, 8]),
        FieldCase(expression: "0 0 * jan,Jul *", field: .month, expected: [1, 7]),
        FieldCase(expression: "0 0 * dEc *", field: .month, expected: [12]),
        FieldCase(expression: "0 0 * * */2", field: .dayOfWeek, expected: [0, 2, 4, 6]),
        FieldCase(expression: "0 0 * * */7", field: .dayOfWeek, expected: [0]),
        FieldCase(expression: "0 0 * * 1/2", field: .dayOfWeek, expected: [0, 1, 3, 5]),
        FieldCase(expression: "0 0 * * MON/2", field: .dayOfWeek, expected: [0, 1, 3, 5]),
        FieldCase(expression: "0 0 * * MON-FRI", field: .dayOfWeek, expected: [1, 2, 3, 4, 5]),
        FieldCase(expression: "0 0 * * SAT-7", field: .dayOfWeek, expected: [0, 6]),
        FieldCase(expression: "0 0 * * 7", field: .dayOfWeek, expected: [0]),
        FieldCase(expression: "0 0 * * 0", field: .dayOfWeek, expected: [0]),
        FieldCase(expression: "0 0 * * 0-7", field: .dayOfWeek, expected: Array(0...6)),
        FieldCase(expression: "0 0 * * sun,Wed", field: .dayOfWeek, expected: [0, 3]),
        FieldCase(expression: "0 0 * * */1", field: .dayOfWeek, expected: Array(0...6)),
        FieldCase(expression: "00 00 01 01 00", field: .dayOfMonth, expected: [1]),
        FieldCase(expression: "\t 0\t\t0  * *   *  \t", field: .hour, expected: [0]),
        FieldCase(expression: "@hourly", field: .minute, expected: [0]),
        FieldCase(expression: "@hourly", field: .hour, expected: Array(0...23)),
        FieldCase(expression: "  @daily\t", field: .hour, expected: [0]),
        FieldCase(expression: "*/20 0 0 1 * *", field: .second, expected: [0, 20, 40]),
        FieldCase(expression: "0 0 1 * *", field: .second, expected: [0]),
    ]

    /// Accepted syntax: every form of CRON.md yields exactly the listed values.
    @Test(arguments: accepted)
    func acceptsAndExpands(_ row: FieldCase) throws {
        let expression = try CronExpression(row.expression)
        #expect(values(bits(expression.spec, row.field)) == row.expected)
        #expect(expression.text == row.expression)
    }

    static let rejected: [RejectCase] = [
        RejectCase(expression: "61 * * * *", position: 0, token: "61", reason: "minute field: 61 is out of range 0-59"),
        RejectCase(expression: "* 24 * * *", position: 2, token: "24", reason: "hour field: 24 is out of range 0-23"),
        RejectCase(expression: "* * 0 * *", position: 4, token: "0", reason: "day-of-month field: 0 is out of range 1-31"),
        RejectCase(expression: "* * 32 * *", position: 4, token: "32", reason: "day-of-month field: 32 is out of range 1-31"),
        RejectCase(expression: "* * * 13 *", position: 6, token: "13", reason: "month field: 13 is out of range 1-12"),
        RejectCase(expression: "* * * 0 *", position: 6, token: "0", reason: "month field: 0 is out of range 1-12"),
        RejectCase(expression: "* * * * 8", position: 8, token: "8", reason: "day-of-week field: 8 is out of range 0-7"),
        RejectCase(expression: "99999999999999999999999 * * * *", position: 0, token: "99999999999999999999999",
                   reason: "minute field: 99999999999999999999999 is out of range 0-59"),
        RejectCase(expression: "* * * * */0", position: 10, token: "0", reason: "day-of-week field: step 0 is invalid; a step must be 1-7"),
        RejectCase(expression: "* * * * */8", position: 10, token: "8", reason: "day-of-week field: step 8 is invalid; a step must be 1-7"),
        RejectCase(expression: "*/0 * * * *", position: 2, token: "0", reason: "minute field: step 0 is invalid; a step must be 1-59"),
        RejectCase(expression: "*/61 * * * *", position: 2, token: "61", reason: "minute field: step 61 is invalid; a step must be 1-59"),
        RejectCase(expression: "* */25 * * *", position: 4, token: "25", reason: "hour field: step 25 is invalid; a step must be 1-23"),
        RejectCase(expression: "* * */32 * *", position: 6, token: "32", reason: "day-of-month field: step 32 is invalid; a step must be 1-31"),
        RejectCase(expression: "* * * */13 *", position: 8, token: "13", reason: "month field: step 13 is invalid; a step must be 1-12"),
        RejectCase(expression: "1-5/0 * * * *", position: 4, token: "0", reason: "minute field: step 0 is invalid; a step must be 1-59"),
        RejectCase(expression: "*/ * * * *", position: 1, token: "/", reason: "minute field: a step is missing after /; a step must be 1-59"),
        RejectCase(expression: "*/x * * * *", position: 2, token: "x", reason: "minute field: step \"x\" is invalid; a step must be a whole number 1-59"),
        RejectCase(expression: "*/1.5 * * * *", position: 2, token: "1.5", reason: "minute field: step \"1.5\" is invalid; a step must be a whole number 1-59"),
        RejectCase(expression: "* * * *", position: 7, token: "", reason: "expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
        RejectCase(expression: "*", position: 1, token: "", reason: "expected 5 fields (minute hour day-of-month month day-of-week), found 1"),
        RejectCase(expression: "* * * * * * *", position: 12, token: "*",
                   reason: "expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, found 7"),
        RejectCase(expression: "", position: 0, token: "",
                   reason: "empty expression; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"),
        RejectCase(expression: " \t ", position: 0, token: "",
                   reason: "empty expression; expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily"),
        RejectCase(expression: "1,,2 * * * *", position: 2, token: ",", reason: "minute field: empty list item in \"1,,2\"; remove the extra comma"),
        RejectCase(expression: "5, * * * *", position: 1, token: ",", reason: "minute field: empty list item in \"5,\"; remove the extra comma"),
        RejectCase(expression: ",5 * * * *", position: 0, token: ",", reason: "minute field: empty list item in \",5\"; remove the extra comma"),
        RejectCase(expression: "0 0 * 1,,2 *", position: 8, token: ",", reason: "month field: empty list item in \"1,,2\"; remove the extra comma"),
        RejectCase(expression: "5-1 * * * *", position: 0, token: "5-1",
                   reason: "minute field: range 5-1 is reversed (5 > 1); ranges run from low to high and do not wrap around"),
        RejectCase(expression: "* * * * 7-1", position: 8, token: "7-1",
                   reason: "day-of-week field: range 7-1 is reversed (7 > 1); ranges run from low to high and do not wrap around"),
        RejectCase(expression: "* * * * FRI-SUN", position: 8, token: "FRI-SUN",
                   reason: "day-of-week field: range FRI-SUN is reversed (5 > 0); ranges run from low to high and do not wrap around"),
        RejectCase(expression: "* * * DEC-JAN *", position: 6, token: "DEC-JAN",
                   reason: "month field: range DEC-JAN is reversed (12 > 1); ranges run from low to high and do not wrap around"),
        RejectCase(expression: "+5 * * * *", position: 0, token: "+5", reason: "minute field: \"+5\" has a sign; use a plain number 0-59"),
        RejectCase(expression: "-5 * * * *", position: 0, token: "-5", reason: "minute field: \"-5\" has a sign; use a plain number 0-59"),
        RejectCase(expression: "5--1 * * * *", position: 2, token: "-1", reason: "minute field: \"-1\" has a sign; use a plain number 0-59"),
        RejectCase(expression: "1.5 * * * *", position: 0, token: "1.5", reason: "minute field: \"1.5\" is not a whole number; use 0-59"),
        RejectCase(expression: "0x1F * * * *", position: 0, token: "0x1F", reason: "minute field: \"0x1F\" is hexadecimal; use a decimal number 0-59"),
        RejectCase(expression: "٣ * * * *", position: 0, token: "٣", reason: "minute field: \"٣\" has non-ASCII digits; use the digits 0-9: 0-59"),
        RejectCase(expression: "0 ５ * * *", position: 2, token: "５", reason: "hour field: \"５\" has non-ASCII digits; use the digits 0-9: 0-23"),
        RejectCase(expression: "1-2-3 * * * *", position: 2, token: "2-3",
                   reason: "minute field: \"2-3\" is not a valid value; a range has exactly one -, as in 1-5"),
        RejectCase(expression: "5- * * * *", position: 2, token: "", reason: "minute field: a value is missing after -; use 0-59"),
        RejectCase(expression: "*5 * * * *", position: 0, token: "*5",
                   reason: "minute field: \"*5\" is not valid; * stands alone or takes a step, as in */5"),
        RejectCase(expression: "*-5 * * * *", position: 0, token: "*-5",
                   reason: "minute field: \"*-5\" is not valid; * stands alone or takes a step, as in */5"),
        RejectCase(expression: "* * * * MONDAY", position: 8, token: "MONDAY",
                   reason: "day-of-week field: \"MONDAY\" is not a day name; use SUN-SAT or 0-7"),
        RejectCase(expression: "* * * January *", position: 6, token: "January",
                   reason: "month field: \"January\" is not a month name; use JAN-DEC or 1-12"),
        RejectCase(expression: "* * * * JAN", position: 8, token: "JAN",
                   reason: "day-of-week field: \"JAN\" is not a day name; use SUN-SAT or 0-7"),
        RejectCase(expression: "* * * * JUL", position: 8, token: "JUL",
                   reason: "day-of-week field: \"JUL\" is not a day name; use SUN-SAT or 0-7"),
        RejectCase(expression: "* * * MON *", position: 6, token: "MON",
                   reason: "month field: \"MON\" is not a month name; use JAN-DEC or 1-12"),
        RejectCase(expression: "MON * * * *", position: 0, token: "MON",
                   reason: "minute field: \"MON\" is not a number; use 0-59 (names are only allowed in the month and day-of-week fields)"),
        RejectCase(expression: "0 0 JAN * *", position: 4, token: "JAN",
                   reason: "day-of-month field: \"JAN\" is not a number; use 1-31 (names are only allowed in the month and day-of-week fields)"),
        RejectCase(expression: "? * * * *", position: 0, token: "?",
                   reason: "minute field: ? is only allowed in the day-of-month and day-of-week fields"),
        RejectCase(expression: "@hourlyy", position: 0, token: "@hourlyy",
                   reason: "unknown macro \"@hourlyy\"; valid macros: @yearly @annually @monthly @weekly @daily @midnight @hourly"),
        RejectCase(expression: "@every 5m", position: 0, token: "@every",
                   reason: "unknown macro \"@every\"; valid macros: @yearly @annually @monthly @weekly @daily @midnight @hourly"),
        RejectCase(expression: "@Daily", position: 0, token: "@Daily",
                   reason: "unknown macro \"@Daily\"; valid macros: @yearly @annually @monthly @weekly @daily @midnight @hourly (macros are lowercase)"),
        RejectCase(expression: "@hourly *", position: 8, token: "*",
                   reason: "macro @hourly must be the whole expression; remove \"*\" after it"),
        RejectCase(expression: "@daily 0 0", position: 7, token: "0",
                   reason: "macro @daily must be the whole expression; remove \"0 0\" after it"),
        RejectCase(expression: "0 @daily * * *", position: 2, token: "@daily",
                   reason: "hour field: \"@daily\" is not a valid value; use 0-23"),
        RejectCase(expression: "0 0 * * *\n", position: 9, token: "\n",
                   reason: "unexpected control character U+000A; fields are separated by spaces or tabs"),
        RejectCase(expression: "* * 30 2 *", position: 4, token: "30", reason: "can never fire: day 30 does not exist in February"),
        RejectCase(expression: "0 0 31 4,6,9,11 *", position: 4, token: "31",
                   reason: "can never fire: day 31 does not exist in April, June, September or November"),
        RejectCase(expression: "0 0 31 2 */2", position: 4, token: "31", reason: "can never fire: day 31 does not exist in February"),
        RejectCase(expression: "0 0 30,31 2 *", position: 4, token: "30,31", reason: "can never fire: day 30 does not exist in February"),
        RejectCase(expression: "0 0 31 4,JUN *", position: 4, token: "31", reason: "can never fire: day 31 does not exist in April or June"),
        RejectCase(expression: "0 0 30 2 ?", position: 4, token: "30", reason: "can never fire: day 30 does not exist in February"),
        // Extensions: malformed forms.
        RejectCase(expression: "0 0 * * 1#0", position: 10, token: "0",
                   reason: "day-of-week field: in \"1#0\" the occurrence 0 is invalid; it must be 1-5"),
        RejectCase(expression: "0 0 * * 1#6", position: 10, token: "6",
                   reason: "day-of-week field: in \"1#6\" the occurrence 6 is invalid; it must be 1-5"),
        RejectCase(expression: "0 0 * * MON#", position: 11, token: "#",
                   reason: "day-of-week field: \"MON#\" is missing the occurrence after #; use 1-5, as in MON#2"),
        RejectCase(expression: "0 0 * * #2", position: 8, token: "", reason: "day-of-week field: a value is missing before #; use 0-7 or SUN-SAT"),
        RejectCase(expression: "0 0 * * 8#2", position: 8, token: "8", reason: "day-of-week field: 8 is out of range 0-7"),
        RejectCase(expression: "0 0 LX * *", position: 4, token: "LX",
                   reason: "day-of-month field: \"LX\" is not valid; use 1-31, L (last day), LW (last weekday) or nW (weekday nearest day n)"),
        RejectCase(expression: "0 0 L/2 * *", position: 4, token: "L/2",
                   reason: "day-of-month field: \"L/2\" is not valid; use 1-31, L (last day), LW (last weekday) or nW (weekday nearest day n)"),
        RejectCase(expression: "0 0 W * *", position: 4, token: "W",
                   reason: "day-of-month field: W needs a day before it, as in 15W (the weekday nearest the 15th)"),
        RejectCase(expression: "0 0 32W * *", position: 4, token: "32", reason: "day-of-month field: 32 is out of range 1-31"),
        RejectCase(expression: "0 0 * * L", position: 8, token: "L",
                   reason: "day-of-week field: L needs a weekday before it, as in 5L (the last Friday of the month)"),
        RejectCase(expression: "0 0 * * 1-5L", position: 8, token: "1-5L",
                   reason: "day-of-week field: \"1-5L\" is not valid; dL takes one weekday, as in 5L or FRIL"),
        RejectCase(expression: "0 0 * * MON-FRI#2", position: 8, token: "MON-FRI#2",
                   reason: "day-of-week field: \"MON-FRI#2\" is not valid; d#k takes one weekday, as in MON#2"),
        RejectCase(expression: "0 0 * * LX", position: 8, token: "LX",
                   reason: "day-of-week field: \"LX\" is not a day name; use SUN-SAT or 0-7"),
        RejectCase(expression: "0 0 31W 2 *", position: 4, token: "31W",
                   reason: "can never fire: no day in February matches both the day-of-month field \"31W\" and the day-of-week field \"*\""),
        RejectCase(expression: "0 0 */15 * MON#2", position: 4, token: "*/15",
                   reason: "can never fire: no day in any month matches both the day-of-month field \"*/15\" and the day-of-week field \"MON#2\""),
    ]

    /// Rejected syntax: the error names the exact position, token and reason.
    @Test(arguments: rejected)
    func rejectsWithPreciseError(_ row: RejectCase) {
        do {
            let expression = try CronExpression(row.expression)
            Issue.record("accepted \(row.expression.debugDescription) as \(expression.spec)")
        } catch {
            #expect(error.reason == row.reason)
            #expect(error.position == row.position)
            #expect(error.token == row.token)
            #expect(error.expression == row.expression)
            #expect(error.description == row.reason)
        }
    }

    /// Every example CRON.md calls valid parses (including the OR case that looks impossible).
    @Test(arguments: [
        "30 2 * * *", "0 1-4 * * *", "15,45 2 * * *", "*/15 2 * * *", "* 2 * * *", "0 * * * *", "0 */2 * * *",
        "0 0 13 * 5", "0 0 1-31/2 * MON", "0 0 */2 * MON", "0 0 1 * */1", "1 1 */31,1-7 * MON", "0 0 31 * *",
        "0 0 29 2 *", "0 0 30 2 MON", "0 0 29 2 */2", "@yearly", "@annually", "@monthly", "@weekly", "@daily",
        "@midnight", "@hourly", "0 0 L * *", "0 0 LW * *", "0 0 15W * *", "0 0 * * 5L", "0 0 * * 0L", "0 0 * * 7L",
        "0 0 * * MON#2", "0 0 ? * MON", "0 0 1 * ?", "0 0 1 * MON#1", "0 0 l * *", "0 0 * * fril", "0 0 30W 2 MON",
    ])
    func acceptsSpecExamples(_ text: String) throws {
        _ = try CronExpression(text)
    }

    static let fixedTimeRows: [(String, Bool)] = [
        ("30 2 * * *", true), ("0 1-4 * * *", true), ("15,45 2 * * *", true), ("@daily", true), ("@weekly", true),
        ("@monthly", true), ("@yearly", true), ("0-59 0-23 * * *", true), ("*/15 2 * * *", false), ("* 2 * * *", false),
        ("0 * * * *", false), ("0 */2 * * *", false), ("@hourly", false), ("0 0 0 * * *", true), ("0 * 0 * * *", false),
    ]

    /// Fixed-time is decided by the minute and hour fields' first character only.
    @Test(arguments: fixedTimeRows)
    func fixedTime(_ text: String, _ fixed: Bool) throws {
        #expect(try CronExpression(text).isFixedTime == fixed)
    }

    /// The day fields combine with AND when either starts with `*` (or `?`), otherwise with OR.
    @Test(arguments: [
        ("0 0 13 * 5", CronSpec.DayRule.or), ("0 0 1-31/2 * MON", .or), ("0 0 */2 * MON", .and), ("0 0 1 * */1", .and),
        ("1 1 */31,1-7 * MON", .and), ("0 0 * * *", .and), ("0 0 30 2 MON", .or), ("0 0 1 * 1-7", .or),
        ("0 0 ? * MON", .and), ("0 0 L * MON#1", .or), ("0 0 1 * MON#1", .or),
    ])
    func dayRule(_ text: String, _ rule: CronSpec.DayRule) throws {
        #expect(try CronExpression(text).spec.dayRule == rule)
    }

    /// Macros are exactly their expansions.
    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"),
    ])
    func macroExpansion(_ macro: String, _ expansion: String) throws {
        #expect(try CronExpression(macro).spec == CronExpression(expansion).spec)
    }

    /// Extensions set the month-dependent day bits.
    @Test func extensionsParse() throws {
        let spec = try CronExpression("0 0 L,LW,15W,1 * 5L,MON#2,sun#5").spec
        #expect(spec.lastDayOfMonth && spec.lastBusinessDayOfMonth)
        #expect(values(spec.nearestBusinessDays) == [15])
        #expect(values(spec.daysOfMonth) == [1])
        #expect(values(spec.lastWeekdaysOfMonth) == [5])
        #expect(values(spec.nthWeekdaysOfMonth) == [7 + 1, 4 * 7 + 0])
        #expect(spec.dayRule == .or)
    }

    /// Random input never crashes or hangs; every error's token is the text at its position.
    @Test func fuzzNeverCrashes() {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        let alphabet: [Character] = Array("0123456789*/,-? \tLW#@JANMONFRIsatdecXxl٣５\n.+") + ["é", "\r\n", "🙂"]
        let pieces = ["*/5", "1-5", "MON", "JAN", "@hourly", "@daily", "L", "LW", "15W", "5L", "MON#2", "?", ",", " ", "60", "0"]
        var accepted = 0
        let berlin = Zones.named("Europe/Berlin")
        for round in 0..<20_000 {
            var text = ""
            switch round % 3 {
            case 0:
                for _ in 0..<Int.random(in: 0...24, using: &rng) { text.append(alphabet.randomElement(using: &rng)!) }
            case 1:
                for _ in 0..<Int.random(in: 0...12, using: &rng) { text += pieces.randomElement(using: &rng)! }
            default:
                let fieldPieces = ["*", "*", "*/5", "1-5", "0", "MON", "JAN", "L", "15W", "5L", "MON#2", "?", "*/2,3", "7"]
                text = (0..<Int.random(in: 5...6, using: &rng)).map { _ in fieldPieces.randomElement(using: &rng)! }
                    .joined(separator: " ")
            }
            do {
                let expression = try CronExpression(text)
                accepted += 1
                let schedule = CronSchedule(expression, in: berlin)
                let times = schedule.nextTimes(after: instant("2026-03-28T23:59:30Z"), count: 3)
                #expect(times == times.sorted())
            } catch {
                let chars = Array(text)
                #expect(error.position >= 0 && error.position <= chars.count, "\(text.debugDescription)")
                if !error.token.isEmpty, error.position + error.token.count <= chars.count {
                    #expect(String(chars[error.position..<(error.position + error.token.count)]) == error.token,
                            "\(text.debugDescription): \(error.reason)")
                } else {
                    #expect(error.token.isEmpty, "\(text.debugDescription): token beyond the text")
                }
                #expect(!error.reason.isEmpty)
            }
        }
        #expect(accepted > 300, "the fuzzer should also produce valid expressions")
    }
}
