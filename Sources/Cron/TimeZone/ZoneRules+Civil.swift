import Foundation

extension ZoneRules {
    /// The wall-clock date and time of `instant` in this zone.
    public func localTime(_ instant: Date) -> LocalDateTime {
        let t = Self.seconds(instant)
        return LocalDateTime(wallSeconds: t + table.offset(at: t))
    }

    /// The instant `days` calendar days before `instant` at the same wall-clock time, exactly as
    /// Go's `t.AddDate(0, 0, -days)` computes it (restic's `keepWithin`): the wall time is shifted
    /// by whole days and converted back the way Go's `time.Date` does (see `goInstant`), so a
    /// repeated or skipped wall time resolves as restic resolves it. `days` 0 converts too, as Go
    /// does: the first 02:30 of Berlin's fall-back night becomes the second one.
    public func subtractingDays(_ days: Int, from instant: Date) -> Date {
        let t = Self.seconds(instant)
        let wall = t + table.offset(at: t) - days * CivilCalendar.secondsPerDay
        let fraction = instant.timeIntervalSince1970 - Double(t)
        return Date(timeIntervalSince1970: Double(goInstant(forWallTime: wall)) + fraction)
    }

    /// The instant Go's `time.Date` gives local wall time `wall` (seconds since 1970-01-01T00:00
    /// local): it reads the wall time as UTC, takes the offset in effect there, and when that
    /// offset's period does not hold the resulting instant, takes the offset in effect at that
    /// instant instead (src/time/time.go, `Date`). Outside transitions this is the one instant;
    /// in a gap or fold the answer depends on the offsets' sign: Berlin's skipped 02:30 becomes
    /// 03:30 CEST and its repeated 02:30 the second (CET) one, while New York's skipped 02:30
    /// becomes 01:30 EST and its repeated 01:30 the first (EDT) one.
    func goInstant(forWallTime wall: Int) -> Int {
        // When the period holds `wall - first`, the second lookup returns `first` again, so one
        // formula covers both of Go's branches.
        let first = table.offset(at: wall)
        return wall - table.offset(at: wall - first)
    }
}
