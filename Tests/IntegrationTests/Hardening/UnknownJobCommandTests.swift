import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Every command that takes a JOB refuses an unknown name (exit 1) with a did-you-mean.
@Suite("Unknown job names", .ownThreads)
struct UnknownJobCommandTests {
    /// `apq` for the job `app`: each command exits 1 naming the name, suggesting "app" and listing
    /// the jobs; nothing is written to the history.
    @Test(arguments: [
        ["history", "apq"], ["list", "apq"], ["verify", "apq"], ["run-now", "apq"], ["restore", "apq", "--to", "scratch"],
        ["prune", "apq"], ["ack", "apq", "app-20260101T000000Z-00000000"], ["check", "apq"],
    ])
    func typoIsRefusedWithSuggestion(_ arguments: [String]) throws {
        let fixture = try ReadOnlyCommandTests.Fixture()
        defer { fixture.remove() }
        try fixture.record("app", .succeeded, ago: 5)
        let result = try fixture.run(arguments, environment: ["PATH": "/usr/bin:/bin", ReadOnlyCommandTests.Fixture.unsetVariable: "pw"])
        #expect(result.status == 1, "\(arguments): exit \(result.status)\n\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\"apq\"") && result.stderr.contains("did you mean \"app\"?"), "\(arguments): \(result.stderr)")
        #expect(try HistoryStore(stateDirectory: fixture.state, readOnly: true).runs(HistoryQuery()).count == 1)
    }

    /// A job removed from the config keeps its history: `history old` shows its runs (exit 0)
    /// with a note, while a name with no runs and no job fails.
    @Test func historyOfRemovedJobStillShown() throws {
        let fixture = try ReadOnlyCommandTests.Fixture()
        defer { fixture.remove() }
        try fixture.record("old", .succeeded, ago: 5)
        let shown = try fixture.run(["history", "old"])
        #expect(shown.status == 0 && shown.stdout.contains("old") && shown.stderr.contains("showing its recorded runs"), "\(shown)")
        let missing = try fixture.run(["history", "nothing"])
        #expect(missing.status == 1 && missing.stderr.contains("no job named \"nothing\""), "\(missing)")
    }
}
