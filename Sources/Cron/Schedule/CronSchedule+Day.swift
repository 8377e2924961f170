extension CronSchedule {
    /// The smallest fire instant after `s` among those belonging to the local day that starts at
    /// wall second `dayStart` (the day is known to match).
    func firstFire(onDayStarting dayStart: Int, after s: Int, bounds: (min: Int, max: Int)) -> Int? {
        let windowStart = dayStart - bounds.max
        let windowEnd = dayStart + CivilCalendar.secondsPerDay - bounds.min
        let (offset, next) = zone.table.offsetAndNextTransition(at: windowStart)
        if next.map({ $0 >= windowEnd }) ?? true {
            // One offset all day: wall order is instant order.
            let day = dayStart..<(dayStart + CivilCalendar.secondsPerDay)
            return firstWall(in: day, after: s + offset, dayStart: dayStart).map { $0 - offset }
        }
        return firstFireAcrossTransitions(
            dayStart: dayStart, after: s, periods: zone.table.periods(from: windowStart, to: windowEnd))
    }

    /// A day with a transition: each offset period maps its part of the day to instants; a wall
    /// time shown twice fires twice (wildcard) or only in the first period (fixed-time); a wall
    /// time shown never fires never (wildcard) or at the end of its gap (fixed-time).
    private func firstFireAcrossTransitions(dayStart: Int, after s: Int, periods: [ZonePeriod]) -> Int? {
        let day = dayStart..<(dayStart + CivilCalendar.secondsPerDay)
        var best: Int?
        func consider(_ instant: Int) {
            if instant > s, instant < best ?? .max { best = instant }
        }
        var covered: [Range<Int>] = []
        for period in periods {
            let wall = Self.intersection(period.wall, day)
            let pieces = spec.isFixedTime ? Self.subtracting(covered, from: wall) : [wall]
            for piece in pieces {
                if let w = firstWall(in: piece, after: s + period.offset, dayStart: dayStart) {
                    consider(w - period.offset)
                }
            }
            if !wall.isEmpty { covered.append(wall) }
        }
        guard spec.isFixedTime else { return best }
        for gap in Self.subtracting(covered, from: day)
        where firstWall(in: gap, after: gap.lowerBound - 1, dayStart: dayStart) != nil {
            for (before, after) in zip(periods, periods.dropFirst())
            where before.end + before.offset <= gap.lowerBound && gap.lowerBound < after.start + after.offset {
                consider(after.start)  // the first instant after the gap
                break
            }
        }
        return best
    }

    /// The first matching wall second in `range` (within the day at `dayStart`) that is > `after`.
    @inline(__always)
    func firstWall(in range: Range<Int>, after: Int, dayStart: Int) -> Int? {
        let low = max(range.lowerBound, after + 1)
        guard low < range.upperBound, let time = nextTimeOfDay(atOrAfter: low - dayStart) else { return nil }
        let wall = dayStart + time
        return wall < range.upperBound ? wall : nil
    }

    /// The first matching second of the day at or after `second` (0..<86400), by next-set-bit.
    @inline(__always)
    func nextTimeOfDay(atOrAfter second: Int) -> Int? {
        let hour = second / 3600, minute = second / 60 % 60, sec = second % 60
        if spec.hours & (1 << UInt64(hour)) != 0 {
            if spec.minutes & (1 << UInt64(minute)) != 0, let s = Self.nextBit(spec.seconds, from: sec) {
                return hour * 3600 + minute * 60 + s
            }
            if let m = Self.nextBit(spec.minutes, from: minute + 1) {
                return hour * 3600 + m * 60 + spec.seconds.trailingZeroBitCount
            }
        }
        guard let h = Self.nextBit(spec.hours, from: hour + 1) else { return nil }
        return h * 3600 + spec.minutes.trailingZeroBitCount * 60 + spec.seconds.trailingZeroBitCount
    }

    @inline(__always)
    private static func nextBit(_ mask: UInt64, from index: Int) -> Int? {
        guard index < 64 else { return nil }
        let rest = mask & (~0 << UInt64(index))
        return rest == 0 ? nil : rest.trailingZeroBitCount
    }

    private static func intersection(_ a: Range<Int>, _ b: Range<Int>) -> Range<Int> {
        let low = max(a.lowerBound, b.lowerBound), high = min(a.upperBound, b.upperBound)
        return low < high ? low..<high : low..<low
    }

    /// `range` minus every range in `ranges`, as ascending pieces.
    private static func subtracting(_ ranges: [Range<Int>], from range: Range<Int>) -> [Range<Int>] {
        var pieces = range.isEmpty ? [] : [range]
        for cut in ranges where !cut.isEmpty {
            pieces = pieces.flatMap { piece -> [Range<Int>] in
                var kept: [Range<Int>] = []
                if piece.lowerBound < min(piece.upperBound, cut.lowerBound) {
                    kept.append(piece.lowerBound..<min(piece.upperBound, cut.lowerBound))
                }
                if max(piece.lowerBound, cut.upperBound) < piece.upperBound {
                    kept.append(max(piece.lowerBound, cut.upperBound)..<piece.upperBound)
                }
                return kept
            }
        }
        return pieces
    }
}
