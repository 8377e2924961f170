import Cron
import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Helpers for retention tests: instants from local wall times, and named series.
enum RetentionFixtures {
    static let berlin = try! ZoneRules.load(identifier: "Europe/Berlin")
    static let newYork = try! ZoneRules.load(identifier: "America/New_York")

    /// The instant of an ISO 8601 text with offset, e.g. `2026-03-29T01:30:00+01:00`.
    static func at(_ text: String) -> Date {
        guard let date = ISO8601Instant.parse(text, defaultZone: .utc) else { fatalError("bad fixture time \(text)") }
        return date
    }

    /// Backups named by their times, ids `b0`, `b1`, ... in the order given.
    static func series(_ times: [String]) -> [(id: String, time: Date)] {
        times.enumerated().map { (id: "b\($0.offset)", time: at($0.element)) }
    }

    /// The ids a plan keeps, sorted.
    static func survivors(_ decisions: [RetentionDecision]) -> [String] {
        decisions.filter(\.keep).map(\.id).sorted()
    }
}
