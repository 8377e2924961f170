/// A zone's UTC offsets over all time as one sorted transition list: the TZif file's own
/// transitions, then 400 years generated from its TZ footer. Because the Gregorian calendar (and
/// so every footer rule) repeats every 400 years, an instant beyond the table is shifted back by
/// whole cycles into the generated part, which makes every lookup a binary search.
struct TransitionTable: Sendable, Hashable {
    /// Seconds in 400 Gregorian years.
    static let cycle = CivilCalendar.daysPer400Years * CivilCalendar.secondsPerDay

    /// Transition instants, ascending.
    private(set) var instants: [Int]
    /// `offsets[i]` is in effect from `instants[i]`.
    private(set) var offsets: [Int]
    /// The offset before `instants[0]`.
    private(set) var initialOffset: Int
    /// Instants at or after `cycleStart + cycle` are shifted back by whole cycles (nil: no footer DST).
    private var cycleStart: Int?
    /// The footer governs all time (a file without transitions), so early instants shift forward too.
    private var periodicBothWays = false
    /// `suffixMin[p]`/`suffixMax[p]`: extreme offsets of period p (0 = before the first transition) and later.
    private var suffixMin: [Int]
    private var suffixMax: [Int]
    /// The last transition from the file itself (nil when it has none).
    let lastListedTransition: Int?

    /// Builds the table from a parsed file; nil when its footer is malformed.
    init?(_ file: TZifFile) {
        instants = file.transitions
        offsets = file.offsets
        initialOffset = file.initialOffset
        lastListedTransition = file.transitions.last
        suffixMin = []
        suffixMax = []
        if let text = file.footer {
            guard let rule = PosixTimeZoneRule(text) else { return nil }
            extend(with: rule)
        }
        computeSuffixes()
    }

    /// A table with one offset for all time.
    init(fixedOffset: Int) {
        instants = []
        offsets = []
        initialOffset = fixedOffset
        lastListedTransition = nil
        suffixMin = [fixedOffset]
        suffixMax = [fixedOffset]
    }

    private mutating func extend(with rule: PosixTimeZoneRule) {
        // From the last listed transition on, the footer governs (as in CPython's zoneinfo and glibc).
        guard let last = instants.last else {
            initialOffset = rule.offset(at: 0)
            guard rule.daylight != nil else { return }
            appendGenerated(rule, fromYear: 1899, after: Int.min)
            cycleStart = CivilCalendar.dayNumber(year: 1900, month: 1, day: 1) * CivilCalendar.secondsPerDay
            periodicBothWays = true
            return
        }
        offsets[offsets.count - 1] = rule.offset(at: last)
        guard rule.daylight != nil else { return }
        let lastYear = CivilCalendar.date(dayNumber: CivilCalendar.floorDiv(last, CivilCalendar.secondsPerDay)).year
        appendGenerated(rule, fromYear: lastYear - 1, after: last)
        cycleStart = CivilCalendar.dayNumber(year: lastYear + 1, month: 1, day: 1) * CivilCalendar.secondsPerDay
    }

    /// Appends the rule's transitions for 404 years, dropping those that change nothing (a rule
    /// with DST all year, such as `EST5EDT,0/0,J365/25`, yields none after the first).
    private mutating func appendGenerated(_ rule: PosixTimeZoneRule, fromYear: Int, after: Int) {
        guard let daylight = rule.daylight else { return }
        var generated: [(instant: Int, offset: Int)] = []
        for year in fromYear...(fromYear + 404) {
            guard let (start, end) = rule.transitions(year: year) else { continue }
            let pair = [(start, daylight.offset), (end, rule.standardOffset)]
            generated += start <= end ? pair : pair.reversed()
        }
        // Stable by construction within a year; across years a later year's change wins a tie.
        let sorted = generated.enumerated().sorted { ($0.element.instant, $0.offset) < ($1.element.instant, $1.offset) }
        var current = offsets.last ?? initialOffset
        for (i, change) in sorted.map(\.element).enumerated() where change.instant > after {
            if i + 1 < sorted.count, sorted[i + 1].element.instant == change.instant { continue }
            guard change.offset != current else { continue }
            instants.append(change.instant)
            offsets.append(change.offset)
            current = change.offset
        }
    }

    private mutating func computeSuffixes() {
        let count = instants.count + 1
        suffixMin = Array(repeating: 0, count: count)
        suffixMax = Array(repeating: 0, count: count)
        var low = Int.max, high = Int.min
        for p in stride(from: count - 1, through: 0, by: -1) {
            let offset = p == 0 ? initialOffset : offsets[p - 1]
            low = min(low, offset)
            high = max(high, offset)
            suffixMin[p] = low
            suffixMax[p] = high
        }
    }

    /// Maps `t` into the table's range; returns the mapped instant and the shift to add back.
    @inline(__always)
    private func reduce(_ t: Int) -> (instant: Int, shift: Int) {
        guard let start = cycleStart, t >= start + Self.cycle || (periodicBothWays && t < start) else { return (t, 0) }
        let shift = CivilCalendar.floorDiv(t - start, Self.cycle) * Self.cycle
        return (t - shift, shift)
    }

    /// The number of transitions at or before `t` (t already reduced).
    @inline(__always)
    private func period(_ t: Int) -> Int {
        var low = 0, high = instants.count
        while low < high {
            let mid = (low + high) >> 1
            if instants[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The UTC offset in effect at `t`.
    func offset(at t: Int) -> Int {
        let p = period(reduce(t).instant)
        return p == 0 ? initialOffset : offsets[p - 1]
    }

    /// The UTC offset in effect at `t` and the first transition strictly after `t`, if any.
    func offsetAndNextTransition(at t: Int) -> (offset: Int, next: Int?) {
        let (reduced, shift) = reduce(t)
        let p = period(reduced)
        let offset = p == 0 ? initialOffset : offsets[p - 1]
        return (offset, p < instants.count ? instants[p] + shift : nil)
    }

    /// The smallest and largest offsets in effect at `t` or later.
    func offsetBounds(from t: Int) -> (min: Int, max: Int) {
        let p = period(reduce(t).instant)
        return (suffixMin[p], suffixMax[p])
    }

    /// The smallest and largest offsets the zone ever has.
    var globalOffsetBounds: (min: Int, max: Int) { (suffixMin[0], suffixMax[0]) }

    /// The constant-offset stretches that cover `lo..<hi`, in order, clipped to it.
    func periods(from lo: Int, to hi: Int) -> [ZonePeriod] {
        var result: [ZonePeriod] = []
        var start = lo
        var (offset, next) = offsetAndNextTransition(at: lo)
        while let transition = next, transition < hi {
            result.append(ZonePeriod(start: start, end: transition, offset: offset))
            start = transition
            (offset, next) = offsetAndNextTransition(at: transition)
        }
        result.append(ZonePeriod(start: start, end: hi, offset: offset))
        return result
    }
}
