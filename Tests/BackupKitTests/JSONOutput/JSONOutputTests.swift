import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("JSON output convention", .ownThreads)
struct JSONOutputTests {
    /// Keys keep their order and nulls stay present; strings are escaped; times are UTC with Z;
    /// empty containers print as [] and {}; the text parses back to the same values.
    @Test func rendersAndParsesBack() throws {
        let document = JSONOutput.object([
            ("zeta", .string("line\n\"quoted\"\u{1}")),
            ("alpha", .null),
            ("time", .time(Date(timeIntervalSince1970: 1_700_000_000.25))),
            ("precise", .time(Date(timeIntervalSince1970: 1_700_000_000.25), milliseconds: true)),
            ("missing", .time(nil)),
            ("bytes", .int(Int64(5_000_000_000))),
            ("rate", .double(0.146)),
            ("flags", .array([.bool(true), .bool(false)])),
            ("empty", .array([])),
            ("nothing", .object([])),
        ])
        let text = document.text
        #expect(text.hasSuffix("}\n"))
        #expect(text.range(of: "zeta")!.lowerBound < text.range(of: "alpha")!.lowerBound)
        #expect(text.contains(#""zeta": "line\n\"quoted\"\u0001""#))
        #expect(text.contains(#""empty": []"#) && text.contains(#""nothing": {}"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["zeta"] as? String == "line\n\"quoted\"\u{1}")
        #expect(parsed["alpha"] is NSNull && parsed["missing"] is NSNull)
        #expect(parsed["time"] as? String == "2023-11-14T22:13:20Z")
        #expect(parsed["precise"] as? String == "2023-11-14T22:13:20.250Z")
        #expect(parsed["bytes"] as? Int == 5_000_000_000 && parsed["rate"] as? Double == 0.146)
        #expect(parsed["flags"] as? [Bool] == [true, false])
    }

    /// A check report names each step's outcome as a word and keeps its detail.
    @Test func checkReport() throws {
        let report = CheckReport(destination: "offsite", target: "http://s3, bucket b", steps: [
            CheckStep(name: "Endpoint", outcome: .ok("HTTP 200")),
            CheckStep(name: "PutObject", outcome: .failed("AccessDenied")),
            CheckStep(name: "GetObject", outcome: .skipped("needs PutObject")),
        ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.json.text.utf8)) as? [String: Any])
        #expect(parsed["passed"] as? Bool == false && parsed["subject"] as? String == "destination")
        let steps = try #require(parsed["steps"] as? [[String: String]])
        #expect(steps.map { $0["outcome"] } == ["ok", "failed", "skipped"])
        #expect(steps[1]["detail"] == "AccessDenied")
    }
}
