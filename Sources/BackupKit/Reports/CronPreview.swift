import Cron
import Foundation

/// `backupd cron next`: the next fire times of a cron expression in a time zone, as the
/// scheduler reads them.
public struct CronPreview: Sendable {
    /// The expression as given.
    public var expression: String
    /// The zone whose wall clock it reads.
    public var zone: ZoneRules
    /// The instant after which times are searched.
    public var start: Date
    /// How many times were asked for.
    public var count: Int
    /// The fire times found, at most `count` (fewer when the expression fires no more up to the year 9999).
    public var times: [Date]

    /// Parses `expression` and `timeZone` (an IANA name) and `from` (ISO 8601; without an offset,
    /// local time in the zone; nil: `now`), then finds the next `count` fire times strictly after it.
    /// Throws an error naming what does not parse and how to write it.
    public static func next(expression: String, timeZone: String, from: String?, count: Int, now: Date) throws(CronPreviewError) -> CronPreview {
        let cron: CronExpression
        do {
            cron = try CronExpression(expression)
        } catch {
            throw .expression(text: expression, position: error.position, token: error.token, reason: error.reason)
        }
        let zone: ZoneRules
        do {
            zone = try ZoneRules.load(identifier: timeZone)
        } catch {
            throw .zone(reason: error.reason)
        }
        var start = now
        if let from {
            guard let parsed = ISO8601Instant.parse(from, defaultZone: zone) else { throw .start(text: from, zone: zone.identifier) }
            start = parsed
        }
        let times = CronSchedule(cron, in: zone).nextTimes(after: start, count: count)
        return CronPreview(expression: expression, zone: zone, start: start, count: count, times: times)
    }

    /// The JSON document (docs/json.md): the expression, zone, start and each time in UTC and in the zone.
    public var json: String {
        JSONOutput.object([
            ("expression", .string(expression)), ("timeZone", .string(zone.identifier)), ("from", .time(start)),
            ("times", .array(times.map { .object([("time", .time($0)), ("local", .string(zone.iso8601($0)))]) })),
        ]).text
    }

    /// One line per time: ISO 8601 local time in the zone with that instant's UTC offset.
    public var lines: String {
        var output = ""
        output.reserveCapacity(times.count * 26)
        for time in times { output += zone.iso8601(time) + "\n" }
        return output
    }

    /// Why fewer times than asked for were found (nil when all were).
    public var shortfall: String? {
        guard times.count < count else { return nil }
        let note = times.isEmpty ? "no fire times" : "only \(times.count) fire time\(times.count == 1 ? "" : "s")"
        return "\(note) after \(zone.iso8601(start)) in \(zone.identifier) (searched 400 years ahead, up to the year 9999)"
    }
}

/// An argument of `backupd cron next` that does not parse; the description is the error printed.
public enum CronPreviewError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression does not parse at `position` (`token`).
    case expression(text: String, position: Int, token: String, reason: String)
    /// The time zone cannot be loaded.
    case zone(reason: String)
    /// `--from` is no ISO 8601 date-time.
    case start(text: String, zone: String)

    /// What does not parse, where, and how to write it.
    public var description: String {
        switch self {
        case .expression(let text, let position, let token, let reason):
            "invalid cron expression \(Self.quoted(text)) at position \(position) (token \(Self.quoted(token))): " + reason
        case .zone(let reason):
            "--tz: \(reason)"
        case .start(let text, let zone):
            "--from \"\(text)\" is not an ISO 8601 date-time; use e.g. 2026-03-29T01:30:00+01:00, "
                + "2026-03-29T00:30:00Z, or 2026-03-29T01:30 for local time in \(zone)"
        }
    }

    /// `text` in double quotes with control characters escaped, so a stray newline stays visible.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 32 || scalar.value == 127 {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
