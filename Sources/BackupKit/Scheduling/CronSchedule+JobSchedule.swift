import Cron
import Foundation

extension CronSchedule: JobSchedule {
    /// Wildcard expressions (minute or hour field starting with `*`) resume at once after a
    /// backward clock step, as Debian cron runs them; fixed-time ones never repeat a slot.
    public var resumesAfterClockStepBack: Bool { !expression.isFixedTime }

    /// The slot in the schedule's zone with its offset, `2026-03-29T03:00:00+02:00`.
    public func describe(_ slot: Date) -> String { zone.iso8601(slot) }
}
