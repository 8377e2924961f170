/// The day fields' extensions to plain cron (`L`, `LW`, `nW`, `dL`, `d#k`) and the check that a
/// spec can fire on some day at all.
extension CronParser {
    // MARK: - Extensions

    /// `L`, `LW` and `nW`; returns false when the item is none of these.
    func parseDayOfMonthExtension(_ item: Span, spec: inout CronSpec) throws(CronError) -> Bool {
        let written = string(item).uppercased()
        if written == "L" {
            spec.lastDayOfMonth = true
            return true
        }
        if written == "LW" {
            spec.lastBusinessDayOfMonth = true
            return true
        }
        if written.hasPrefix("L") {
            throw error(item, "day-of-month field: \"\(string(item))\" is not valid; use 1-31, L (last day), LW (last weekday) or nW (weekday nearest day n)")
        }
        guard written.hasSuffix("W"), !written.contains("/"), !written.contains("-"), !written.contains("*") else { return false }
        let day = Span(start: item.start, end: item.end - 1)
        guard day.end > day.start else {
            throw error(item, "day-of-month field: W needs a day before it, as in 15W (the weekday nearest the 15th)")
        }
        let n = try value(.dayOfMonth, day, context: "before W")
        spec.nearestBusinessDays |= 1 << UInt64(n)
        return true
    }

    /// `dL` and `d#k`; returns false when the item is neither.
    func parseDayOfWeekExtension(_ item: Span, spec: inout CronSpec) throws(CronError) -> Bool {
        if let hash = firstIndex(of: "#", in: item) {
            let day = Span(start: item.start, end: hash)
            let occurrence = Span(start: hash + 1, end: item.end)
            if day.end > day.start,
               chars[day.start] == "*" || firstIndex(of: "-", in: day) != nil || firstIndex(of: "/", in: day) != nil {
                throw error(item, "day-of-week field: \"\(string(item))\" is not valid; d#k takes one weekday, as in MON#2")
            }
            let weekday = try value(.dayOfWeek, day, context: "before #")
            guard occurrence.end > occurrence.start else {
                throw error(at: hash, token: "#", "day-of-week field: \"\(string(item))\" is missing the occurrence after #; use 1-5, as in MON#2")
            }
            guard let k = decimal(occurrence), (1...5).contains(k) else {
                throw error(occurrence, "day-of-week field: in \"\(string(item))\" the occurrence \(string(occurrence)) is invalid; it must be 1-5")
            }
            spec.nthWeekdaysOfMonth |= 1 << UInt64((k - 1) * 7 + weekday % 7)
            return true
        }
        guard chars[item.end - 1] == "L" || chars[item.end - 1] == "l" else { return false }
        if item.end - item.start == 3, chars[item.start..<item.end].allSatisfy({ $0.isASCII && $0.isLetter }) {
            return false  // a three-letter word such as JUL: let the name lookup explain it
        }
        let day = Span(start: item.start, end: item.end - 1)
        guard day.end > day.start else {
            throw error(item, "day-of-week field: L needs a weekday before it, as in 5L (the last Friday of the month)")
        }
        if chars[day.start] == "*" || firstIndex(of: "-", in: day) != nil || firstIndex(of: "/", in: day) != nil {
            throw error(item, "day-of-week field: \"\(string(item))\" is not valid; dL takes one weekday, as in 5L or FRIL")
        }
        let weekday = try value(.dayOfWeek, day, context: "before L")
        spec.lastWeekdaysOfMonth |= 1 << UInt64(weekday % 7)
        return true
    }

    // MARK: - Can it fire?

    func checkCanFire(_ spec: CronSpec, dayOfMonth: Span, dayOfWeek: Span) throws(CronError) {
        guard !spec.canEverMatchADay else { return }
        let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                          "September", "October", "November", "December"]
        let listed = (1...12).filter { spec.months & (1 << UInt64($0)) != 0 }
        var names = listed.map { monthNames[$0 - 1] }
        if names.count > 1 {
            let last = names.removeLast()
            names = [names.joined(separator: ", ") + " or " + last]
        }
        let monthText = listed.count == 12 ? "any month" : names.first ?? "any month"
        let plainDays = !spec.lastDayOfMonth && !spec.lastBusinessDayOfMonth && spec.nearestBusinessDays == 0
        if plainDays, spec.daysOfMonth != 0 {
            let smallest = spec.daysOfMonth.trailingZeroBitCount
            let longest = listed.map { $0 == 2 ? 29 : CivilCalendar.monthLength(year: 2001, month: $0) }.max() ?? 31
            if smallest > longest {
                throw error(dayOfMonth, "can never fire: day \(smallest) does not exist in \(monthText)")
            }
        }
        throw error(dayOfMonth, "can never fire: no day in \(monthText) matches both the day-of-month field "
            + "\"\(string(dayOfMonth))\" and the day-of-week field \"\(string(dayOfWeek))\"")
    }
}
