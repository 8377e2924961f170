import Foundation
import TestThreads
import Testing
@testable import BackupKit

/// `backupd cron next`'s use case: the times, the shortfall note and the argument errors.
@Suite("Cron preview", .ownThreads)
struct CronPreviewTests {
    /// The next times in the zone, one line each with that instant's offset (across the DST change).
    @Test func nextTimesAcrossDST() throws {
        let preview = try CronPreview.next(expression: "30 2 * * *", timeZone: "Europe/Berlin", from: "2026-03-28T12:00:00Z", count: 2, now: Date())
        #expect(preview.lines == "2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n")
        #expect(preview.shortfall == nil)
        #expect(preview.json.contains("\"timeZone\":\"Europe/Berlin\"") || preview.json.contains("\"timeZone\": \"Europe/Berlin\""))
    }

    /// Fewer times than asked for before the year 9999 are said, with how many were found.
    @Test func shortfallNearTheEnd() throws {
        let preview = try CronPreview.next(expression: "0 0 29 2 *", timeZone: "UTC", from: "9990-01-01T00:00:00Z", count: 5, now: Date())
        #expect(preview.times.count == 2)
        #expect(preview.shortfall == "only 2 fire times after 9990-01-01T00:00:00+00:00 in UTC (searched 400 years ahead, up to the year 9999)")
    }

    /// Each argument that does not parse is named with what would be valid; control characters stay visible.
    @Test func argumentErrors() {
        #expect(throws: CronPreviewError.self) { try CronPreview.next(expression: "61 * * * *", timeZone: "UTC", from: nil, count: 1, now: Date()) }
        do {
            _ = try CronPreview.next(expression: "61\n* * * *", timeZone: "UTC", from: nil, count: 1, now: Date())
            Issue.record("a newline in the expression was accepted")
        } catch {
            #expect(error.description.hasPrefix("invalid cron expression \"61\\n* * * *\" at position 2 (token \"\\n\"): "))
        }
        #expect(throws: CronPreviewError.start(text: "yesterday", zone: "UTC")) {
            try CronPreview.next(expression: "@daily", timeZone: "UTC", from: "yesterday", count: 1, now: Date())
        }
        do {
            _ = try CronPreview.next(expression: "@daily", timeZone: "Europe/Berln", from: nil, count: 1, now: Date())
            Issue.record("an unknown zone was accepted")
        } catch {
            #expect(error.description.hasPrefix("--tz: unknown time zone \"Europe/Berln\""))
        }
    }
}
