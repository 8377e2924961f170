import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `history` and `status` fit the terminal when stdout is one, and are unchanged otherwise.
@Suite("Terminal-width tables", .ownThreads)
struct TerminalWidthTests {
    /// Runs `arguments` under a pseudo-terminal (`script`) with `COLUMNS=columns`; the output lines.
    static func underTerminal(_ arguments: [String], columns: Int) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([try backupdBinary()] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = ["PATH": "/usr/bin:/bin", "COLUMNS": "\(columns)", "TERM": "dumb"]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
    }

    /// A failed run with a 200-character error: under a 60-column terminal every line of
    /// `history` and `status` is at most 60 wide (the history row ends in …, status's reason is
    /// wrapped with every word kept); piped, the full error is on one line.
    @Test func historyAndStatusFitTheTerminal() throws {
        let fixture = try ReadOnlyCommandTests.Fixture()
        defer { fixture.remove() }
        let error = "pg_dump: error: " + Array(repeating: "connection refused", count: 11).joined(separator: " ")
        try fixture.record("app", .failed, ago: 5, error: error)

        let history = try Self.underTerminal(["history", "--config", fixture.config], columns: 60)
        #expect(!history.isEmpty && history.allSatisfy { $0.count <= 60 }, "\(history)")
        #expect(history.contains { $0.hasSuffix("…") && $0.contains("failed") }, "\(history)")
        let status = try Self.underTerminal(["status", "--config", fixture.config], columns: 60)
        #expect(status.allSatisfy { $0.count <= 60 }, "\(status)")
        let words = status.joined(separator: " ").split(separator: " ").filter { $0 == "refused" }
        #expect(words.count == 11, "\(status)")

        let piped = try fixture.run(["history"])
        #expect(piped.stdout.split(separator: "\n").contains { $0.contains(error) }, "\(piped.stdout)")
    }

    /// Lines after the table are wrapped at spaces, continuation lines indented; table rows cut.
    @Test func fitRules() {
        let text = "JOB  ERROR\napp  " + String(repeating: "x", count: 40) + "\n\napp: one two three four five six seven\n"
        let fitted = TerminalFit.fit(text, width: 20).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(fitted[1] == "app  xxxxxxxxxxxxxx…")
        #expect(fitted[3] == "app: one two three" && fitted[4] == "  four five six" && fitted[5] == "  seven", "\(fitted)")
        #expect(TerminalFit.fit(text, width: nil) == text)
    }
}
