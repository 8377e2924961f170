import Foundation

/// A time zone's UTC offsets over all time, read from the system's TZif files (the same data
/// Debian's cron uses), with the TZ footer extending them past the listed transitions.
public struct ZoneRules: Sendable, Hashable {
    /// The IANA identifier, e.g. `Europe/Berlin`.
    public let identifier: String
    /// The offsets as a searchable transition list.
    let table: TransitionTable

    /// UTC, which needs no file.
    public static let utc = ZoneRules(identifier: "UTC", table: TransitionTable(fixedOffset: 0))

    init(identifier: String, table: TransitionTable) {
        self.identifier = identifier
        self.table = table
    }

    /// Parses TZif bytes (RFC 8536 v1-v4); `identifier` is used for naming only.
    public init(identifier: String, tzif bytes: [UInt8]) throws(ZoneError) {
        let file: TZifFile
        do {
            file = try TZifFile(bytes: bytes)
        } catch {
            throw ZoneError(identifier: identifier,
                            reason: "time zone \"\(identifier)\" cannot be used: \(error.reason)")
        }
        guard let table = TransitionTable(file) else {
            throw ZoneError(identifier: identifier, reason: "time zone \"\(identifier)\" cannot be used: "
                + "its TZ rule \"\(file.footer ?? "")\" is malformed")
        }
        self.init(identifier: identifier, table: table)
    }

    /// The UTC offset in seconds (east positive) in effect at `instant`.
    public func utcOffset(at instant: Date) -> Int {
        table.offset(at: Self.seconds(instant))
    }

    /// `instant` as local time with its offset: `2026-03-29T03:00:00+02:00`, `+00:00` for UTC,
    /// seconds in the offset only when it has them (`+00:53:28`, local mean time).
    public func iso8601(_ instant: Date) -> String {
        let t = Self.seconds(instant)
        let offset = table.offset(at: t)
        let local = t + offset
        let day = CivilCalendar.floorDiv(local, CivilCalendar.secondsPerDay)
        let secondOfDay = local - day * CivilCalendar.secondsPerDay
        let date = CivilCalendar.date(dayNumber: day)
        var text = date.year < 0 ? "-" : ""
        text += Self.pad(abs(date.year), 4) + "-" + Self.pad(date.month, 2) + "-" + Self.pad(date.day, 2)
        text += "T" + Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay / 60 % 60, 2)
        text += ":" + Self.pad(secondOfDay % 60, 2)
        let magnitude = abs(offset)
        text += (offset < 0 ? "-" : "+") + Self.pad(magnitude / 3600, 2) + ":" + Self.pad(magnitude / 60 % 60, 2)
        if magnitude % 60 != 0 { text += ":" + Self.pad(magnitude % 60, 2) }
        return text
    }

    /// The instant that local wall time `wall` (seconds since 1970-01-01T00:00 local) denotes:
    /// the earlier one in a fold; in a gap, the wall time shifted forward by the gap's length.
    func instant(forWallTime wall: Int) -> Int {
        let bounds = table.globalOffsetBounds
        let periods = table.periods(from: wall - bounds.max, to: wall - bounds.min + 1)
        for period in periods where period.wall.contains(wall) {
            return wall - period.offset
        }
        // In a gap: read the wall time with the offset before the gap, which lands after it.
        for (before, after) in zip(periods, periods.dropFirst())
        where before.end + before.offset <= wall && wall < after.start + after.offset {
            return wall - before.offset
        }
        return wall - periods[0].offset
    }

    /// Whole seconds at or before `instant`, clamped far beyond any calendar we handle.
    static func seconds(_ instant: Date) -> Int {
        let value = instant.timeIntervalSince1970.rounded(.down)
        guard value.isFinite else { return value > 0 ? limit : -limit }
        return Int(max(-Double(limit), min(Double(limit), value)))
    }

    /// About ±3 million years in seconds: far outside years 1-9999, far inside `Int`.
    static let limit = 1 << 46

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
