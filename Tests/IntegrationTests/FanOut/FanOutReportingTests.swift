import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Fan-out checks and reports", .ownThreads)
struct FanOutReportingTests {
    /// `backupd check JOB` checks each of the job's destinations against radosgw: the good one
    /// passes, the one with a wrong secret fails (exit 1), and the secret is never printed.
    @Test func checkJobChecksEveryDestination() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 0, bSecret: "wrong-secret-\(UUID().uuidString)", generated: true)
        defer { fixture.remove() }
        let check = try fixture.backupd(["check", "app"])
        let output = check.stdout + check.stderr
        #expect(check.status == 1, "\(output)")
        let sections = output.components(separatedBy: "destination \"")
        let a = try #require(sections.first { $0.hasPrefix("a\"") }, "\(output)")
        let b = try #require(sections.first { $0.hasPrefix("b\"") }, "\(output)")
        #expect(a.contains("checks passed") && !a.contains("FAILED"), "\(a)")
        #expect(b.contains("FAILED") && b.contains("SignatureDoesNotMatch"), "\(b)")
        #expect(!output.contains(fixture.bSecret) && !output.contains(fixture.s3.secretKey))
    }

    /// A partial run sends a `partial` webhook (to a real HTTP server) with every destination's
    /// result and the one stored object; no secret is in it.
    @Test func partialRunSendsPartialWebhook() async throws {
        let server = try TestHTTPServer()
        let fixture = try await FanOutFixture(
            dumpBytes: 3_000_000, bSecret: "wrong-secret-\(UUID().uuidString)", generated: true,
            jobKeys: ["notify": ["webhooks": [server.url("/hook/fan")]]])
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 2, "\(run.stderr)")
        let hooks = server.waitFor(2).filter { $0.path == "/hook/fan" }
        let documents = hooks.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
        #expect(documents.map { $0["event"] as? String } == ["start", "partial"], "\(hooks.map(\.text))")
        let partial = try #require(documents.last)
        #expect(partial["status"] as? String == "partial")
        #expect((partial["error"] as? String)?.contains("stored in 1 of 2 destinations") == true, "\(partial)")
        let destinations = try #require(partial["destinations"] as? [[String: Any]])
        #expect(destinations.map { $0["name"] as? String } == ["a", "b"])
        #expect(destinations.map { $0["status"] as? String } == ["succeeded", "failed"])
        #expect(destinations.map { $0["bucket"] as? String } == [fixture.buckets["a"], fixture.buckets["b"]])
        let objects = try #require(partial["objects"] as? [[String: Any]])
        #expect(objects.map { $0["destination"] as? String } == ["a"])
        #expect(hooks.allSatisfy { !$0.text.contains(fixture.bSecret) && !$0.text.contains(fixture.s3.secretKey) })
    }

    /// `backupd validate` (and any command loading the config) rejects a job whose two destinations
    /// are one bucket of one server, compiler-style: file, line and column, JSON path, value, fix.
    @Test func validateRejectsTwoDestinationsOnOneBucket() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 0, generated: true)
        defer { fixture.remove() }
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.configPath))
        var root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var destinations = try #require(root["destinations"] as? [[String: Any]])
        destinations[1]["bucket"] = fixture.buckets["a"]
        root["destinations"] = destinations
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: fixture.configPath))
        let validate = try fixture.backupd(["validate"])
        #expect(validate.status != 0)
        let line = try #require(validate.stderr.split(separator: "\n").first { $0.contains(#"jobs["app"].destinations[1]"#) }, "\(validate.stderr)")
        #expect(line.contains(fixture.configPath + ":") && line.contains(": error: "), "\(line)")
        #expect(line.contains(#"destination "b" is bucket "\#(fixture.buckets["a"]!)""#) && line.contains(#"the same as "a""#), "\(line)")
        #expect(line.contains("different buckets or endpoints"), "\(line)")
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status != 0 && fixture.toolRuns == 0, "\(run.stderr)")
    }
}
