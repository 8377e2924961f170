import Foundation
import Testing
@testable import Cron

@Suite("ISO 8601 start instants")
struct ISO8601InstantTests {
    static let accepted: [(String, String, Double)] = [
        ("2026-03-29T01:30:00+01:00", "UTC", 1_774_744_200.0),
        ("2026-03-29T00:30:00Z", "UTC", 1_774_744_200),
        ("2026-03-29t00:30:00z", "UTC", 1_774_744_200),
        ("2026-03-29T01:30:00+0100", "UTC", 1_774_744_200),
        ("2026-03-29T01:30:00+01", "UTC", 1_774_744_200),
        ("2026-03-28T20:30:00-04:00", "UTC", 1_774_744_200),
        ("2026-03-29T06:15:00+05:45", "UTC", 1_774_744_200),
        ("2026-03-29T00:30Z", "UTC", 1_774_744_200),
        ("2026-03-29 00:30:00Z", "UTC", 1_774_744_200),
        ("2026-03-29T00:30:00.5Z", "UTC", 1_774_744_200.5),
        ("2026-03-29T00:30:00,25Z", "UTC", 1_774_744_200.25),
        ("2026-03-29T00:30:00.123456789Z", "UTC", 1_774_744_200.123456789),
        ("2026-03-29", "UTC", 1_774_742_400),
        // Local time in the default zone.
        ("2026-03-29T01:30:00", "Europe/Berlin", 1_774_744_200),
        ("2026-03-29T01:30", "Europe/Berlin", 1_774_744_200),
        // In the spring-forward gap: shifted forward by the gap (02:30 → 03:30+02:00).
        ("2026-03-29T02:30:00", "Europe/Berlin", 1_774_744_200 + 3600),
        // In the fall-back fold: the earlier occurrence (+02:00).
        ("2026-10-25T02:30:00", "Europe/Berlin", 1_792_888_200),
        ("2026-11-01T01:30:00", "America/New_York", 1_793_511_000),
        ("2026-03-08T02:30:00", "America/New_York", 1_772_955_000),
    ]

    /// Accepted forms and the instant (seconds since 1970) each denotes; local times read in the zone.
    @Test(arguments: accepted)
    func parses(_ text: String, _ zone: String, _ expected: Double) throws {
        let parsed = try #require(ISO8601Instant.parse(text, defaultZone: Zones.named(zone)))
        #expect(abs(parsed.timeIntervalSince1970 - expected) < 1e-6)
    }

    /// Garbage and impossible dates are nil, never a guess.
    @Test(arguments: [
        "", "garbage", "now", "2026", "2026-03", "2026-1-01", "26-01-01", "2026-13-01T00:00Z", "2026-00-10",
        "2026-02-29T00:00Z", "2026-02-30", "2026-04-31", "2026-01-01T24:00Z", "2026-01-01T00:60Z",
        "2026-01-01T00:00:60Z", "2026-01-01T00:00+24:00", "2026-01-01T00:00+01:60", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00Z trailing", " 2026-01-01T00:00Z", "0000-01-01", "２０２６-01-01", "2026-01-01T1:00Z",
        "2026-01-01T01:00:0Z", "2026-01-01T", "2026-01-01T01", "2026-01-01T01:00+1", "2026-01-01T01:00+01:0",
        "2026-01-01T01:00:00++01:00", "1e9", "-2026-01-01",
    ])
    func rejects(_ text: String) {
        #expect(ISO8601Instant.parse(text, defaultZone: .utc) == nil)
    }

    /// Random text and mutations of valid instants never crash; whatever parses round-trips sensibly.
    @Test func fuzz() {
        var rng = SeededGenerator(seed: 31)
        let alphabet: [Character] = Array("0123456789-:T Z+.,tz") + ["é", "٣"]
        let valid = Array("2026-03-29T01:30:00.25+01:00")
        for round in 0..<20_000 {
            var text: [Character]
            if round % 2 == 0 {
                text = (0..<Int.random(in: 0...30, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                text = valid
                text[Int.random(in: 0..<text.count, using: &rng)] = alphabet.randomElement(using: &rng)!
            }
            if let date = ISO8601Instant.parse(String(text), defaultZone: Zones.named("Europe/Berlin")) {
                #expect(date.timeIntervalSince1970.isFinite)
            }
        }
    }

    /// 2000-02-29 exists and 2100-02-29 does not.
    @Test func leapDays() {
        #expect(ISO8601Instant.parse("2000-02-29T00:00Z", defaultZone: .utc) != nil)
        #expect(ISO8601Instant.parse("2100-02-29T00:00Z", defaultZone: .utc) == nil)
    }
}
