import ArgumentParser
import BackupKit
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
        let preview: CronPreview
        do {
            preview = try CronPreview.next(expression: expression[0], timeZone: tz, from: from, count: count, now: Date())
        } catch {
            fail(error.description)
        }
        FileHandle.standardOutput.write(Data((json ? preview.json : preview.lines).utf8))
        if let shortfall = preview.shortfall {
            FileHandle.standardError.write(Data("backupd cron next: \(shortfall)\n".utf8))
            if preview.times.isEmpty { throw ExitCode(1) }
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("backupd cron next: error: \(message)\n".utf8))
        Self.exit(withError: ExitCode(2))
    }
}
