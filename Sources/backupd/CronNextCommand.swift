import ArgumentParser
import BackupKit
import Cron
import Foundation

/// `backupd cron next`: prints the next fire times of a cron expression in a time zone.
struct CronNextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression.",
        discussion: """
            Prints the next COUNT fire times strictly after --from, one per line, as ISO 8601 local \
            time in ZONE with that instant's UTC offset (2026-03-29T03:00:00+02:00); --json prints them as \
            one JSON document instead (docs/json.md). Quote EXPR as one argument; put -- before it if it \
            starts with -. The syntax and the DST rules are in the README, section Schedules.
            """)

    @Option(name: .long, help: ArgumentHelp("IANA time zone whose wall clock the expression reads.",
                                            valueName: "ZONE"))
    var tz: String = "UTC"

    @Option(name: .long, help: ArgumentHelp(
        "Start instant, ISO 8601 (2026-03-29T01:30:00+01:00, ...Z); without an offset it is local time "
            + "in ZONE (default: now).", valueName: "ISO"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("How many fire times to print, 1-100000.", valueName: "N"))
    var count: Int = 5

    @Argument(help: ArgumentHelp("The cron expression, one argument: '30 2 * * *', @daily, ...", valueName: "EXPR"))
    var expression: [String] = []

    @Flag(help: "Print JSON (docs/json.md): the expression, zone, start and each fire time in UTC and in ZONE.")
    var json = false

    func run() throws {
        guard expression.count == 1 else {
            fail(expression.isEmpty
                 ? "missing cron expression; for example: backupd cron next '30 2 * * *'"
                 : "the cron expression must be one argument; quote it: backupd cron next '\(expression.joined(separator: " "))'")
        }
        guard (1...100_000).contains(count) else { fail("--count \(count) is invalid; use 1-100000") }
        let text = expression[0]
        let cron: CronExpression
        do {
            cron = try CronExpression(text)
        } catch {
            fail("invalid cron expression \(quoted(text)) at position \(error.position) (token \(quoted(error.token))): "
                 + error.reason)
        }
        let zone: ZoneRules
        do {
            zone = try ZoneRules.load(identifier: tz)
        } catch {
            fail("--tz: \(error.reason)")
        }
        let start: Date
        if let from {
            guard let parsed = ISO8601Instant.parse(from, defaultZone: zone) else {
                fail("--from \"\(from)\" is not an ISO 8601 date-time; use e.g. 2026-03-29T01:30:00+01:00, "
                     + "2026-03-29T00:30:00Z, or 2026-03-29T01:30 for local time in \(zone.identifier)")
            }
            start = parsed
        } else {
            start = Date()
        }
        let times = CronSchedule(cron, in: zone).nextTimes(after: start, count: count)
        var output = ""
        if json {
            output = JSONOutput.object([
                ("expression", .string(text)), ("timeZone", .string(zone.identifier)), ("from", .time(start)),
                ("times", .array(times.map { .object([("time", .time($0)), ("local", .string(zone.iso8601($0)))]) })),
            ]).text
        } else {
            output.reserveCapacity(times.count * 26)
            for time in times { output += zone.iso8601(time) + "\n" }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if times.count < count {
            let note = times.isEmpty ? "no fire times" : "only \(times.count) fire time\(times.count == 1 ? "" : "s")"
            let message = "backupd cron next: \(note) after \(zone.iso8601(start)) in \(zone.identifier) "
                + "(searched 400 years ahead, up to the year 9999)\n"
            FileHandle.standardError.write(Data(message.utf8))
            if times.isEmpty { throw ExitCode(1) }
        }
    }

    /// `text` in double quotes with control characters escaped, so a stray newline stays visible.
    private func quoted(_ text: String) -> String {
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

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("backupd cron next: error: \(message)\n".utf8))
        Self.exit(withError: ExitCode(2))
    }
}
