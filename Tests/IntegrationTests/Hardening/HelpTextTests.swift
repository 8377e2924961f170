import Foundation
import Testing
import TestThreads

/// What the real binary's help texts point to exists in what is shipped.
@Suite("Help texts", .ownThreads)
struct HelpTextTests {
    /// `cron next --help` names no unshipped CRON.md; it points to the README's Schedules section.
    @Test func cronNextHelpPointsToTheReadme() throws {
        let help = try runBackupd(["cron", "next", "--help"], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(help.status == 0, "\(help.stderr)")
        #expect(!help.stdout.contains("CRON.md"), "\(help.stdout)")
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("README, section Schedules"), "\(help.stdout)")
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
        #expect(try String(contentsOf: readme, encoding: .utf8).contains("\n## Schedules\n"))
    }
}
