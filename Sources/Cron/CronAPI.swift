// TEMPORARY API outline, replaced by the real implementation (see the cron work). Do not ship.
import Foundation

/// A parsed cron expression (5 fields, Vixie/Debian syntax, see shared/CRON.md).
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// True when neither the minute nor the hour field starts with `*` (DST rules differ).
    public var isFixedTime: Bool { fatalError("unimplemented") }
    /// Parses and validates `text`; throws a `CronError` naming the offending token.
    public init(_ text: String) throws(CronError) { fatalError("unimplemented") }
    public var description: String { text }
}

/// Why a cron expression is invalid.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    /// 0-based character offset of the offending token in `expression`.
    public let position: Int
    /// The offending token ("" when the expression as a whole is wrong).
    public let token: String
    /// What is wrong and what would be valid.
    public let reason: String
    public var description: String { "\(reason)" }
}

/// Time-zone rules read from the system's TZif files.
public struct ZoneRules: Sendable {
    public let identifier: String
    public static func load(identifier: String, zoneinfoDirectory: String = "/usr/share/zoneinfo") throws(ZoneError) -> ZoneRules { fatalError("unimplemented") }
    public func utcOffset(at instant: Date) -> Int { fatalError("unimplemented") }
    public func iso8601(_ instant: Date) -> String { fatalError("unimplemented") }
}

/// Why a time zone could not be loaded.
public struct ZoneError: Error, Sendable, CustomStringConvertible {
    public let identifier: String
    public let reason: String
    public var description: String { reason }
}

/// A cron expression bound to a time zone.
public struct CronSchedule: Sendable {
    public init(_ expression: CronExpression, in zone: ZoneRules) { fatalError("unimplemented") }
    public func next(after instant: Date) -> Date? { fatalError("unimplemented") }
    public func nextTimes(after instant: Date, count: Int) -> [Date] { fatalError("unimplemented") }
}

/// ISO 8601 instants as typed on a command line.
public enum ISO8601Instant {
    public static func parse(_ text: String, defaultZone: ZoneRules) -> Date? { fatalError("unimplemented") }
}
