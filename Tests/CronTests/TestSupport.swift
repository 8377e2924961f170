import Foundation
@testable import Cron

/// Zones loaded once per process from the system tzdata.
enum Zones {
    private static let cache = ZoneCache()

    /// The rules for `identifier`; a test that names a zone the system lacks fails loudly.
    static func named(_ identifier: String) -> ZoneRules {
        cache.zone(identifier)
    }
}

private final class ZoneCache: @unchecked Sendable {
    private let lock = NSLock()
    private var zones: [String: ZoneRules] = [:]

    func zone(_ identifier: String) -> ZoneRules {
        lock.lock()
        defer { lock.unlock() }
        if let zone = zones[identifier] { return zone }
        do {
            let zone = try ZoneRules.load(identifier: identifier)
            zones[identifier] = zone
            return zone
        } catch {
            fatalError("test zone \(identifier) is missing: \(error)")
        }
    }
}

/// An instant from ISO 8601 text with an explicit offset, e.g. `2026-03-29T01:30:00Z`.
func instant(_ text: String) -> Date {
    guard let date = ISO8601Instant.parse(text, defaultZone: .utc) else { fatalError("bad test instant \(text)") }
    return date
}

/// The next `count` fire times of `expression` in `zone` after `from`, formatted in that zone.
func fireTimes(_ expression: String, zone: String, from: String, count: Int) throws -> [String] {
    let rules = Zones.named(zone)
    let schedule = CronSchedule(try CronExpression(expression), in: rules)
    return schedule.nextTimes(after: instant(from), count: count).map(rules.iso8601)
}

/// The values set in a field's bitset, ascending.
func values(_ bits: UInt64) -> [Int] {
    (0..<64).filter { bits & (1 << UInt64($0)) != 0 }
}

/// A deterministic random number generator (SplitMix64) so failures can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
