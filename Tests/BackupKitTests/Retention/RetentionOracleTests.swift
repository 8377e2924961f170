import Cron
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A small deterministic random source (SplitMix64), so a failing case can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Retention planner against the independent Python oracle", .ownThreads)
struct RetentionOracleTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"]

    /// 2024's DST changes in Europe, the US, Lord Howe and Chatham (UTC seconds, to the day).
    static let transitions: [Double] = [
        "2024-03-31T01:00:00Z", "2024-10-27T01:00:00Z", "2024-03-10T07:00:00Z", "2024-11-03T06:00:00Z",
        "2024-04-06T15:00:00Z", "2024-10-05T15:30:00Z", "2024-04-06T14:00:00Z", "2024-09-28T14:00:00Z",
    ].map { RetentionFixtures.at($0).timeIntervalSince1970 }

    /// Runs scripts/retention-oracle.py on a batch of requests.
    static func oracle(_ requests: [[String: Any]]) throws -> [[String: [String]]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/retention-oracle.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let body = try JSONSerialization.data(withJSONObject: requests)
        let writer = Thread { input.fileHandleForWriting.write(body); try? input.fileHandleForWriting.close() }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let answers = try JSONSerialization.jsonObject(with: data) as? [[String: [String]]] else {
            throw OracleFailed(status: process.terminationStatus)
        }
        return answers
    }

    struct OracleFailed: Error, CustomStringConvertible {
        let status: Int32
        var description: String { "scripts/retention-oracle.py failed (exit \(status)); it needs python3 with zoneinfo" }
    }

    /// A random policy (at least one rule) and its JSON form for the oracle.
    static func randomPolicy(_ random: inout SeededRandom) -> (RetentionPolicy, [String: Any]) {
        var policy = RetentionPolicy()
        var json: [String: Any] = [:]
        let keys: [(WritableKeyPath<RetentionPolicy, Int?>, String, ClosedRange<Int>)] = [
            (\.keepLast, "keepLast", 1...10), (\.keepHourly, "keepHourly", 1...48), (\.keepDaily, "keepDaily", 1...30),
            (\.keepWeekly, "keepWeekly", 1...12), (\.keepMonthly, "keepMonthly", 1...24), (\.keepYearly, "keepYearly", 1...5),
        ]
        while json.isEmpty {
            for (path, name, range) in keys where Int.random(in: 0..<3, using: &random) == 0 {
                let n = Int.random(in: range, using: &random)
                policy[keyPath: path] = n
                json[name] = n
            }
            if Int.random(in: 0..<3, using: &random) == 0 {
                let window = RetentionWindow(days: Int.random(in: 0...20, using: &random), hours: Int.random(in: 0...47, using: &random))
                if window.days + window.hours > 0 {
                    policy.keepWithin = window
                    json["keepWithin"] = [window.days, window.hours]
                }
            }
        }
        return (policy, json)
    }

    /// 300 random series (1 to 300 backups over up to two years, clustered around DST changes,
    /// some at whole hours and some dated after `now`) in six zones, with random policies: every
    /// backup's reasons equal the oracle's.
    @Test func randomSeriesAgreeWithOracle() throws {
        var random = SeededRandom(state: 20_261_201)
        let base = RetentionFixtures.at("2024-01-01T00:00:00Z").timeIntervalSince1970
        var cases: [(RetentionPlanner, [(id: String, time: Date)], Date)] = []
        var requests: [[String: Any]] = []
        for _ in 0..<300 {
            let zoneName = Self.zones.randomElement(using: &random)!
            let zone = try ZoneRules.load(identifier: zoneName)
            let (policy, json) = Self.randomPolicy(&random)
            let count = Int.random(in: 1...300, using: &random)
            let spans: [Double] = [3600 * 30, 86_400 * 20, 86_400 * 200, 86_400 * 730]
            let span = spans.randomElement(using: &random)!
            var start = base + Double.random(in: 0...(86_400 * 365), using: &random)
            if Int.random(in: 0..<3, using: &random) == 0 {
                // Two days before one of 2024's DST changes in these zones, so the series straddles it.
                start = Self.transitions.randomElement(using: &random)! - 2 * 86_400
            }
            var times = Set<Int>()
            while times.count < count {
                var t = start + Double.random(in: 0...span, using: &random)
                if Int.random(in: 0..<4, using: &random) == 0 { t = (t / 3600).rounded(.down) * 3600 }
                times.insert(Int(t))
            }
            let backups = times.sorted().enumerated().map { (id: "b\($0.offset)", time: Date(timeIntervalSince1970: Double($0.element))) }
            let now = Date(timeIntervalSince1970: Double(times.max()!) + Double.random(in: -86_400...86_400, using: &random))
            cases.append((RetentionPlanner(policy: policy, zone: zone), backups, now))
            requests.append([
                "zone": zoneName, "now": now.timeIntervalSince1970, "policy": json,
                "backups": backups.map { ["id": $0.id, "time": Int($0.time.timeIntervalSince1970)] },
            ])
        }
        let answers = try Self.oracle(requests)
        try #require(answers.count == cases.count)
        var mismatches = 0
        for (index, (planner, backups, now)) in cases.enumerated() {
            let ours = Dictionary(uniqueKeysWithValues: planner.plan(backups, now: now).map { ($0.id, $0.reasons.map(\.description)) })
            if ours != answers[index] {
                mismatches += 1
                if mismatches <= 3 {
                    let diff = ours.keys.sorted().filter { ours[$0] != answers[index][$0] }.prefix(5)
                        .map { "\($0): ours \(ours[$0]!) oracle \(answers[index][$0] ?? [])" }
                    Issue.record("case \(index) (\(planner.zone.identifier), \(String(describing: planner.policy))): \(diff.joined(separator: "; "))")
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// The hand-written DST and week-53 fixtures agree with the oracle too.
    @Test func fixturesAgreeWithOracle() throws {
        let series = RetentionFixtures.series([
            "2026-03-28T23:30:00+01:00", "2026-03-29T00:15:00+01:00", "2026-03-29T23:45:00+02:00", "2026-10-25T02:30:00+02:00",
            "2026-10-25T02:30:00+01:00", "2026-12-27T10:00:00Z", "2026-12-31T10:00:00Z", "2027-01-02T10:00:00Z", "2027-01-04T10:00:00Z",
        ])
        let policy = RetentionPolicy(keepHourly: 3, keepDaily: 4, keepWeekly: 3, keepWithin: RetentionWindow(days: 3, hours: 2))
        let now = RetentionFixtures.at("2027-02-01T00:00:00Z")
        let answers = try Self.oracle([[
            "zone": "Europe/Berlin", "now": now.timeIntervalSince1970,
            "policy": ["keepHourly": 3, "keepDaily": 4, "keepWeekly": 3, "keepWithin": [3, 2]],
            "backups": series.map { ["id": $0.id, "time": Int($0.time.timeIntervalSince1970)] },
        ]])
        let ours = RetentionPlanner(policy: policy, zone: RetentionFixtures.berlin).plan(series, now: now)
        #expect(Dictionary(uniqueKeysWithValues: ours.map { ($0.id, $0.reasons.map(\.description)) }) == answers.first)
    }
}
