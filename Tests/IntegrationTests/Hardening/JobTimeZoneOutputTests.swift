import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// One time-zone rule in every command's output: a job's times in its own zone, with the offset.
@Suite("Times in the job's own zone", .ownThreads)
struct JobTimeZoneOutputTests {
    /// With the top level in UTC and job `india` in Asia/Kolkata, `status` and `history` write
    /// india's times with +05:30 and app's with +00:00, on the same output.
    @Test func statusAndHistoryUseEachJobsZone() throws {
        let india: [String: Any] = [
            "name": "india", "engine": "postgres", "schedule": "0 3 * * *", "timeZone": "Asia/Kolkata", "destination": "test",
            "connection": ["host": "127.0.0.1", "username": "u", "password": "literal-pw", "database": "india"],
        ]
        let fixture = try ReadOnlyCommandTests.Fixture(jobs: [india])
        defer { fixture.remove() }
        try fixture.record("app", .succeeded, ago: 5)
        try fixture.record("india", .succeeded, ago: 5)
        func line(_ text: String, _ job: String) -> String {
            text.split(separator: "\n").map(String.init).first { $0.split(separator: " ").contains { $0 == job } } ?? ""
        }
        let status = try fixture.run(["status"])
        let indiaStatus = line(status.stdout, "india")
        #expect(indiaStatus.components(separatedBy: "+05:30").count == 4, "\(status.stdout)")  // last run, last success, next run
        #expect(line(status.stdout, "app").contains("+00:00") && !line(status.stdout, "app").contains("+05:30"), "\(status.stdout)")
        let history = try fixture.run(["history"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(line(history.stdout, "india").contains("+05:30") && line(history.stdout, "app").contains("+00:00"), "\(history.stdout)")
    }
}
