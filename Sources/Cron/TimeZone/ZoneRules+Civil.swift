import Foundation

extension ZoneRules {
    /// The wall-clock date and time of `instant` in this zone.
    public func localTime(_ instant: Date) -> LocalDateTime {
        let t = Self.seconds(instant)
        return LocalDateTime(wallSeconds: t + table.offset(at: t))
    }

    /// The instant `days` calendar days before `instant` at the same wall-clock time (the earlier
    /// one in a fold, shifted forward in a gap), as Go's `AddDate(0, 0, -days)` computes it.
    public func subtractingDays(_ days: Int, from instant: Date) -> Date {
        let t = Self.seconds(instant)
        let wall = t + table.offset(at: t) - days * CivilCalendar.secondsPerDay
        let fraction = instant.timeIntervalSince1970 - Double(t)
        return Date(timeIntervalSince1970: Double(self.instant(forWallTime: wall)) + fraction)
    }
}
