import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

private let start = Date(timeIntervalSince1970: 1_700_000_000.25)  // 2023-11-14T22:13:20.250Z

private let sample: [RunRecord] = [
    RunRecord(
        id: 3, job: "orders-pg", trigger: .schedule, scheduledAt: start, startedAt: start, endedAt: start + 65,
        status: .succeeded, bytesRead: 5_000_000, bytesStored: 1_572_864, objectKey: "pg/orders/2023-11-14T221320Z.sql.zst",
        sha256: "ab12", exitStatus: 0, stderrTail: ""),
    RunRecord(
        id: 2, job: "cache", trigger: .catchUp, scheduledAt: start - 300, startedAt: start - 200, endedAt: start - 197.5,
        status: .failed, exitStatus: 1, stderrTail: "line1\nline2",
        error: "redis-cli exited with status 1\nsee stderr"),
    RunRecord(id: 1, job: "cache", trigger: .runNow, startedAt: start - 400, status: .running),
]

@Suite("History renderer", .ownThreads)
struct HistoryRendererTests {
    /// The table aligns columns, shows the object key for a success and the error's first line for a failure.
    @Test func table() {
        let expected = """
            TIME                  JOB        TRIGGER   STATUS     DURATION  SIZE     OBJECT / ERROR
            2023-11-14T22:13:20Z  orders-pg  schedule  succeeded  1m 05s    1.5 MiB  pg/orders/2023-11-14T221320Z.sql.zst
            2023-11-14T22:10:00Z  cache      catch-up  failed     2.5s      -        redis-cli exited with status 1
            2023-11-14T22:06:40Z  cache      run-now   running    -         -

            """
        #expect(HistoryRenderer.table(sample) == expected)
    }

    /// The time column uses the formatter given (the configured zone); control characters cannot break lines.
    @Test func tableTimeZoneAndControlCharacters() {
        let run = RunRecord(
            id: 1, job: "a\tb", trigger: .schedule, startedAt: start, endedAt: start + 1, status: .skipped,
            error: "skipped: x\u{1B}[31my\rsecond line")
        let text = HistoryRenderer.table([run]) { _ in "14.11.2023 23:13 CET" }
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains("14.11.2023 23:13 CET  a b"))
        #expect(text.hasSuffix("skipped: x [31my\n"))
        #expect(HistoryRenderer.table([]) == "no runs recorded\n")
    }

    /// JSON: an array of objects with every key present in a fixed order, nulls for unknowns, UTC times.
    @Test func json() throws {
        let text = HistoryRenderer.json(sample)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(
            lines[2]
                == """
                  {"id": 2, "job": "cache", "trigger": "catch-up", "status": "failed", \
                "scheduledAt": "2023-11-14T22:08:20.250Z", "startedAt": "2023-11-14T22:10:00.250Z", \
                "endedAt": "2023-11-14T22:10:02.750Z", "durationSeconds": 2.5, "bytesRead": null, \
                "bytesStored": null, "objectKey": null, "sha256": null, "uploadId": null, "destination": null, \
                "bucket": null, "exitStatus": 1, "error": "redis-cli exited with status 1\\nsee stderr", \
                "stderrTail": "line1\\nline2", "suspicious": null, "acknowledgedAt": null},
                """)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 3)
        let keys = [
            "id", "job", "trigger", "status", "scheduledAt", "startedAt", "endedAt", "durationSeconds",
            "bytesRead", "bytesStored", "objectKey", "sha256", "uploadId", "destination", "bucket",
            "exitStatus", "error", "stderrTail", "suspicious", "acknowledgedAt",
        ]
        for object in parsed { #expect(Set(object.keys) == Set(keys)) }
        #expect(parsed[0]["bytesStored"] as? Int == 1_572_864)
        #expect(parsed[0]["durationSeconds"] as? Double == 65)
        #expect(parsed[2]["endedAt"] is NSNull)
        #expect(HistoryRenderer.json([]) == "[]\n")
    }

    /// JSON strings escape quotes, backslashes and control characters and round-trip.
    @Test func jsonEscaping() throws {
        let nasty = "q\"b\\s\u{1}é\u{7F}"
        let run = RunRecord(id: 1, job: nasty, trigger: .schedule, startedAt: start, status: .running)
        let text = HistoryRenderer.json([run])
        #expect(text.contains(#""job": "q\"b\\s\u0001é\u007f""#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.first?["job"] as? String == nasty)
    }

    /// Durations and sizes read naturally at every scale.
    @Test(arguments: [
        (0.42, "0.4s"), (9.99, "9.9s"), (42.0, "42s"), (65.0, "1m 05s"), (3599.0, "59m 59s"), (7380.0, "2h 03m"),
        (273_600.0, "3d 04h"), (-5.0, "0.0s"),
    ])
    func durations(seconds: Double, text: String) {
        #expect(HistoryRenderer.duration(seconds) == text)
    }

    /// Sizes use binary units with one decimal.
    @Test(arguments: [
        (Int64(0), "0 B"), (Int64(512), "512 B"), (Int64(1536), "1.5 KiB"), (Int64(20 * 1_048_576), "20.0 MiB"),
        (Int64(3_435_973_837), "3.2 GiB"), (Int64(1_209_462_790_553), "1.1 TiB"),
    ] as [(Int64, String)])
    func sizes(bytes: Int64, text: String) {
        #expect(HistoryRenderer.size(bytes) == text)
    }

    /// UTC timestamps, with and without milliseconds, including before the epoch.
    @Test(arguments: [
        (1_700_000_000.25, false, "2023-11-14T22:13:20Z"), (1_700_000_000.25, true, "2023-11-14T22:13:20.250Z"),
        (0.0, true, "1970-01-01T00:00:00.000Z"), (-0.5, true, "1969-12-31T23:59:59.500Z"),
    ])
    func timestamps(seconds: Double, milliseconds: Bool, text: String) {
        #expect(HistoryRenderer.utcTimestamp(Date(timeIntervalSince1970: seconds), milliseconds: milliseconds) == text)
    }
}
