// Measures nanoseconds per `CronSchedule.next(after:)` for typical and sparse expressions.
// Run through bench/cron.sh (release build). Starts are spread over 2020-2040 so that each
// call does its own search rather than continuing a warm one.
import Cron
import Foundation

let cases: [(expression: String, zone: String)] = [
    ("*/5 * * * *", "UTC"),
    ("*/5 * * * *", "Europe/Berlin"),
    ("0 3 * * *", "UTC"),
    ("30 2 * * *", "Europe/Berlin"),
    ("0 0 1 * *", "UTC"),
    ("15 10 * * MON-FRI", "America/New_York"),
    ("@hourly", "Australia/Lord_Howe"),
    ("0 0 29 2 *", "UTC"),
    ("0 0 31 2,4 MON", "Europe/Berlin"),
    ("0 0 13 * 5", "UTC"),
    ("0 0 29 2 */7", "UTC"),
    ("0 0 L * *", "UTC"),
    ("0 9 ? * MON#2", "Europe/Berlin"),
]

var generator = SystemRandomNumberGenerator()
let starts: [Date] = (0..<4096).map { _ in
    Date(timeIntervalSince1970: Double(Int.random(in: 1_577_836_800..<2_208_988_800, using: &generator)))
}

print("expression                   zone                  ns/next   calls")
for (text, zoneName) in cases {
    let expression = try CronExpression(text)
    let zone = try ZoneRules.load(identifier: zoneName)
    let schedule = CronSchedule(expression, in: zone)
    var sink = 0.0
    // Warm up, then run batches until at least 0.3 s have passed.
    for start in starts.prefix(256) { sink += schedule.next(after: start)?.timeIntervalSince1970 ?? 0 }
    let clock = ContinuousClock()
    var calls = 0
    let began = clock.now
    var elapsed = Duration.zero
    repeat {
        for start in starts { sink += schedule.next(after: start)?.timeIntervalSince1970 ?? 0 }
        calls += starts.count
        elapsed = clock.now - began
    } while elapsed < .milliseconds(300)
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    let name = text.padding(toLength: 28, withPad: " ", startingAt: 0)
    let zonePadded = zoneName.padding(toLength: 20, withPad: " ", startingAt: 0)
    print("\(name) \(zonePadded) \(String(format: "%8.0f", nanoseconds / Double(calls))) \(String(format: "%7d", calls))")
    if sink == 42 { print("") }  // keeps the results alive
}

// Cost of loading a zone (TZif parse + 400 footer years), for scale.
let clock = ContinuousClock()
let began = clock.now
for _ in 0..<200 { _ = try ZoneRules.load(identifier: "Europe/Berlin") }
let loadTime = (clock.now - began) / 200
print("ZoneRules.load(Europe/Berlin): \(loadTime)")
