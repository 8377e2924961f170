import Foundation
import Testing
@testable import Cron

/// A TZif file built in memory (RFC 8536 layout), for cases the system tzdata lacks.
private func tzif(
    version: Character = "2", transitions: [(Int, UInt8)] = [], offsets: [Int32] = [0], footer: String? = "",
    leapSeconds: Int = 0, truncateBy: Int = 0
) -> [UInt8] {
    func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    func be64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    func block(_ timeSize: Int, versionByte: UInt8) -> [UInt8] {
        var bytes = Array("TZif".utf8) + [versionByte] + Array(repeating: 0, count: 15)
        for count in [0, 0, leapSeconds, transitions.count, offsets.count, 4] { bytes += be32(Int32(count)) }
        for (time, _) in transitions { bytes += timeSize == 8 ? be64(Int64(time)) : be32(Int32(clamping: time)) }
        bytes += transitions.map(\.1)
        for (i, offset) in offsets.enumerated() { bytes += be32(offset) + [i > 0 ? 1 : 0, 0] }
        bytes += Array("XYZ\0".utf8)
        for _ in 0..<leapSeconds { bytes += (timeSize == 8 ? be64(78_796_800) : be32(78_796_800)) + be32(1) }
        return bytes
    }
    var bytes: [UInt8]
    if version == "\0" {
        bytes = block(4, versionByte: 0)
    } else {
        bytes = block(4, versionByte: version.asciiValue!) + block(8, versionByte: version.asciiValue!)
        bytes += [10] + Array((footer ?? "").utf8) + [10]
    }
    return Array(bytes.dropLast(truncateBy))
}

private func offset(_ zone: ZoneRules, _ text: String) -> Int { zone.utcOffset(at: instant(text)) }

@Suite("Time zone rules")
struct ZoneRulesTests {
    static let footers: [(String, Int, Int, String, String)] = [
        ("CET-1CEST,M3.5.0,M10.5.0/3", 3600, 7200, "2050-03-27T01:00:00Z", "2050-10-30T01:00:00Z"),
        ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800, 39600, "2050-10-01T15:30:00Z", "2050-04-02T15:00:00Z"),
        ("EST5EDT,M3.2.0,M11.1.0", -18000, -14400, "2050-03-13T07:00:00Z", "2050-11-06T06:00:00Z"),
        ("EST5EDT", -18000, -14400, "2050-03-13T07:00:00Z", "2050-11-06T06:00:00Z"),
        ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -7200, -3600, "2050-03-27T01:00:00Z", "2050-10-30T01:00:00Z"),
        ("EET-2EEST,M3.4.4/50,M10.4.4/50", 7200, 10800, "2050-03-26T00:00:00Z", "2050-10-28T23:00:00Z"),
        ("IST-1GMT0,M10.5.0,M3.5.0/1", 3600, 0, "2050-10-30T01:00:00Z", "2050-03-27T01:00:00Z"),
        ("<-04>4<-03>,M9.1.6/24,M4.1.6/24", -14400, -10800, "2050-09-04T04:00:00Z", "2050-04-03T03:00:00Z"),
        ("AAA3BBB,J60/2,300", -10800, -7200, "2050-03-01T05:00:00Z", "2050-10-28T04:00:00Z"),
        ("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 45900, 49500, "2050-09-24T14:00:00Z", "2050-04-02T14:00:00Z"),
    ]

    /// TZ footer strings parse into offsets and change rules, including v3 extended hours.
    @Test(arguments: footers)
    func footerRules(_ text: String, _ std: Int, _ dst: Int, _ start: String, _ end: String) throws {
        let rule = try #require(PosixTimeZoneRule(text))
        #expect(rule.standardOffset == std)
        #expect(rule.daylight?.offset == dst)
        let changes = try #require(rule.transitions(year: 2050))
        #expect(changes.start == Int(instant(start).timeIntervalSince1970))
        #expect(changes.end == Int(instant(end).timeIntervalSince1970))
    }

    /// Fixed-offset footers, and malformed ones that must be refused rather than guessed.
    @Test func footerEdgeCases() {
        #expect(PosixTimeZoneRule("<+0545>-5:45")?.standardOffset == 20700)
        #expect(PosixTimeZoneRule("UTC0")?.daylight == nil)
        #expect(PosixTimeZoneRule("<-0930>9:30")?.standardOffset == -34200)
        for bad in ["", "X", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
                    "<+01", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0/200,M10.5.0", "CET-1CEST,J0,J365", "CET-1CEST,366,1",
                    "CET-1:60", "CET-1CEST,M3.5.0,M10.5.0,", "CET-1CEST;M3.5.0,M10.5.0"] {
            #expect(PosixTimeZoneRule(bad) == nil, "\(bad)")
        }
    }

    /// After the last TZif transition (2037) offsets come from the footer: Berlin, Lord Howe, Dublin in 2050.
    @Test func footerGovernsAfter2037() {
        let berlin = Zones.named("Europe/Berlin")
        #expect(offset(berlin, "2050-03-27T00:59:59Z") == 3600)
        #expect(offset(berlin, "2050-03-27T01:00:00Z") == 7200)
        #expect(offset(berlin, "2050-10-30T00:59:59Z") == 7200)
        #expect(offset(berlin, "2050-10-30T01:00:00Z") == 3600)
        #expect(offset(berlin, "2037-10-25T00:59:59Z") == 7200)
        #expect(offset(berlin, "2038-03-28T01:00:00Z") == 7200)
        #expect(offset(berlin, "2900-07-01T00:00:00Z") == 7200)
        #expect(offset(berlin, "9999-12-31T23:59:59Z") == 3600)
        let lordHowe = Zones.named("Australia/Lord_Howe")
        #expect(offset(lordHowe, "2050-10-01T15:29:59Z") == 37800)
        #expect(offset(lordHowe, "2050-10-01T15:30:00Z") == 39600)
        #expect(offset(lordHowe, "2050-04-02T14:59:59Z") == 39600)
        #expect(offset(lordHowe, "2050-04-02T15:00:00Z") == 37800)
        let dublin = Zones.named("Europe/Dublin")
        #expect(offset(dublin, "2050-01-15T12:00:00Z") == 0)
        #expect(offset(dublin, "2050-07-15T12:00:00Z") == 3600)
    }

    static let renderings: [(String, String, String)] = [
        ("UTC", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00+00:00"),
        ("Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00+02:00"),
        ("Europe/Berlin", "2026-03-29T00:59:59Z", "2026-03-29T01:59:59+01:00"),
        ("Asia/Kathmandu", "2026-01-01T00:00:00Z", "2026-01-01T05:45:00+05:45"),
        ("America/New_York", "2026-07-01T12:00:00Z", "2026-07-01T08:00:00-04:00"),
        ("Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04T02:30:00+11:00"),
        ("America/St_Johns", "2026-01-01T12:00:00Z", "2026-01-01T08:30:00-03:30"),
        ("Europe/Amsterdam", "1900-06-01T00:00:00Z", "1900-06-01T00:19:32+00:19:32"),
        ("UTC", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
    ]

    /// The ISO 8601 rendering: `+00:00` for UTC, quarter-hour and negative offsets, LMT seconds.
    @Test(arguments: renderings)
    func iso8601(_ zone: String, _ at: String, _ expected: String) {
        #expect(Zones.named(zone).iso8601(instant(at)) == expected)
    }

    static let badIdentifiers: [(String, String)] = [
        ("Europe/Berln", "unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"? Use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("europe/berlin", "unknown time zone \"europe/berlin\"; did you mean \"Europe/Berlin\"? Use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Berlin", "unknown time zone \"Berlin\"; did you mean \"Europe/Berlin\"? Use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("utc", "unknown time zone \"utc\"; did you mean \"UTC\"? Use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\" Use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("../../etc/passwd", "invalid time zone \"../../etc/passwd\": it contains a . or .. path component; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Europe/../Europe/Berlin", "invalid time zone \"Europe/../Europe/Berlin\": it contains a . or .. path component; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("/etc/localtime", "invalid time zone \"/etc/localtime\": it is an absolute path; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("", "invalid time zone \"\": it is empty; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Europe//Berlin", "invalid time zone \"Europe//Berlin\": it has an empty path component; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Europe/Berlin\n", "invalid time zone \"Europe/Berlin\n\": it contains characters no zone name has; use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo"),
        ("Europe", "\"Europe\" is a region, not a time zone; use a zone inside it such as Europe/Amsterdam"),
        ("zone.tab", "\"zone.tab\" is not a time zone (/usr/share/zoneinfo/zone.tab is not a TZif file); use an IANA name such as Europe/Berlin"),
    ]

    /// Identifiers that are paths, regions, misspellings or not TZif fail with a message that says what to use.
    @Test(arguments: badIdentifiers)
    func loadErrors(_ identifier: String, _ reason: String) {
        do {
            let zone = try ZoneRules.load(identifier: identifier)
            Issue.record("loaded \(zone.identifier)")
        } catch {
            #expect(error.reason == reason)
            #expect(error.identifier == identifier)
            #expect(error.description == reason)
        }
    }

    /// UTC and its aliases load; UTC works even without a zoneinfo directory.
    @Test func utcLoads() throws {
        for name in ["UTC", "Etc/UTC", "Etc/GMT", "Zulu"] {
            let zone = try ZoneRules.load(identifier: name)
            #expect(zone.utcOffset(at: instant("2026-06-01T00:00:00Z")) == 0)
            #expect(zone.identifier == name)
        }
        let builtIn = try ZoneRules.load(identifier: "UTC", zoneinfoDirectory: "/nonexistent")
        #expect(builtIn.iso8601(instant("2026-06-01T00:00:00Z")) == "2026-06-01T00:00:00+00:00")
        #expect(throws: ZoneError.self) { try ZoneRules.load(identifier: "Europe/Berlin", zoneinfoDirectory: "/nonexistent") }
    }

    /// Synthetic files: v1-only, footer-only (periodic both ways), DST all year, and broken files.
    @Test func syntheticTZif() throws {
        let v1 = try ZoneRules(identifier: "V1", tzif: tzif(version: "\0", transitions: [(1_000_000_000, 1)], offsets: [3600, 7200]))
        #expect(v1.utcOffset(at: Date(timeIntervalSince1970: 999_999_999)) == 3600)
        #expect(v1.utcOffset(at: Date(timeIntervalSince1970: 1_000_000_000)) == 7200)
        #expect(v1.utcOffset(at: instant("2500-01-01T00:00:00Z")) == 7200)

        let footerOnly = try ZoneRules(identifier: "F", tzif: tzif(offsets: [-18000], footer: "EST5EDT,M3.2.0,M11.1.0"))
        for year in [1700, 1950, 2026, 2600, 9000] {
            #expect(offset(footerOnly, "\(year)-01-15T12:00:00Z") == -18000, "\(year)")
            #expect(offset(footerOnly, "\(year)-07-15T12:00:00Z") == -14400, "\(year)")
        }
        #expect(offset(footerOnly, "1950-03-12T06:59:59Z") == -18000)
        #expect(offset(footerOnly, "1950-03-12T07:00:00Z") == -14400)

        let allYear = try ZoneRules(identifier: "A", tzif: tzif(offsets: [-18000], footer: "EST5EDT,0/0,J365/25"))
        for at in ["2026-01-01T04:30:00Z", "2026-01-01T05:30:00Z", "2026-07-01T00:00:00Z", "2026-12-31T23:59:59Z", "3000-01-01T04:00:00Z"] {
            #expect(offset(allYear, at) == -14400, "\(at)")
        }

        let cases: [([UInt8], String)] = [
            (Array("not a zone".utf8), "time zone \"X\" cannot be used: it is not a TZif time zone file"),
            (tzif(transitions: [(0, 0)], truncateBy: 30), "time zone \"X\" cannot be used: it is truncated"),
            (tzif(leapSeconds: 1), "time zone \"X\" cannot be used: it lists leap seconds (a \"right/\" zone); use the zone without the right/ prefix"),
            (tzif(transitions: [(0, 5)]), "time zone \"X\" cannot be used: a transition names a missing local time type"),
            (tzif(transitions: [(10, 0), (5, 0)]), "time zone \"X\" cannot be used: its transitions are not in ascending order"),
            (tzif(footer: "CET-1CEST,M3.5.0"), "time zone \"X\" cannot be used: its TZ rule \"CET-1CEST,M3.5.0\" is malformed"),
        ]
        for (bytes, reason) in cases {
            #expect(throws: ZoneError(identifier: "X", reason: reason)) { try ZoneRules(identifier: "X", tzif: bytes) }
        }
    }

    /// Corrupted TZif files (random byte flips of a real one) never crash or hang: they load or fail cleanly.
    @Test func corruptedFilesFailCleanly() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        var rng = SeededGenerator(seed: 7)
        var loaded = 0, refused = 0
        let expression = try CronExpression("30 2 * * *")
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
            do {
                let zone = try ZoneRules(identifier: "Fuzz", tzif: bytes)
                loaded += 1
                _ = zone.iso8601(instant("2050-03-27T01:00:00Z"))
                _ = CronSchedule(expression, in: zone).nextTimes(after: instant("2026-03-28T00:00:00Z"), count: 3)
            } catch {
                refused += 1
                #expect(error.reason.hasPrefix("time zone \"Fuzz\" cannot be used: "))
            }
        }
        #expect(loaded > 0 && refused > 0)
    }

    /// Transitions at zic's "big bang" time set the offset before all time; absurd future ones are refused.
    @Test func extremeTransitionTimes() throws {
        let bigBang = try ZoneRules(identifier: "B", tzif: tzif(transitions: [(-(1 << 59), 1), (0, 2)], offsets: [0, 3600, 7200]))
        #expect(bigBang.utcOffset(at: instant("1900-01-01T00:00:00Z")) == 3600)
        #expect(bigBang.utcOffset(at: instant("1970-01-01T00:00:00Z")) == 7200)
        #expect(throws: ZoneError.self) { try ZoneRules(identifier: "F", tzif: tzif(transitions: [(1 << 60, 0)])) }
    }

    /// Local wall times map to the earlier instant in a fold and shift forward in a gap.
    @Test func wallTimeResolution() {
        let berlin = Zones.named("Europe/Berlin")
        let gap = CivilCalendar.dayNumber(year: 2026, month: 3, day: 29) * 86400 + 2 * 3600 + 30 * 60
        #expect(berlin.instant(forWallTime: gap) == Int(instant("2026-03-29T01:30:00Z").timeIntervalSince1970))
        let fold = CivilCalendar.dayNumber(year: 2026, month: 10, day: 25) * 86400 + 2 * 3600 + 30 * 60
        #expect(berlin.instant(forWallTime: fold) == Int(instant("2026-10-25T00:30:00Z").timeIntervalSince1970))
    }

    /// Every zone's offsets equal Python's zoneinfo (same system tzdata, independent code) at random
    /// instants from 1850 to 2600 and one second either side of each transition found.
    @Test(.enabled(if: PythonOracle.isAvailable,
                   "python3 with zoneinfo is missing: the tzdata cross-check DID NOT RUN"))
    func offsetsMatchPythonZoneinfo() throws {
        let names = try String(contentsOfFile: "/usr/share/zoneinfo/tzdata.zi", encoding: .utf8)
            .split(separator: "\n")
            .compactMap { line -> String? in
                let parts = line.split(separator: " ")
                guard parts.count >= 2, parts[0] == "Z" || parts[0] == "Zone" || parts[0] == "L" || parts[0] == "Link" else { return nil }
                return String(parts[0].hasPrefix("L") ? parts[2] : parts[1])
            }
        #expect(names.count > 400)
        var rng = SeededGenerator(seed: 2026)
        let low = Int(instant("1850-01-01T00:00:00Z").timeIntervalSince1970)
        let high = Int(instant("2600-01-01T00:00:00Z").timeIntervalSince1970)
        var queries: [(zone: String, instant: Int)] = []
        for name in names {
            guard let zone = try? ZoneRules.load(identifier: name) else {
                Issue.record("cannot load \(name)")
                continue
            }
            var t = Int(instant("1960-01-01T00:00:00Z").timeIntervalSince1970)
            var found = 0
            while t < Int(instant("2045-01-01T00:00:00Z").timeIntervalSince1970), found < 12 {
                let (_, next) = zone.table.offsetAndNextTransition(at: t)
                guard let next else { break }
                queries += [(name, next - 1), (name, next)]
                t = next
                found += 1
            }
            for _ in 0..<40 { queries.append((name, Int.random(in: low..<high, using: &rng))) }
        }
        let answers = try PythonOracle.offsets(queries)
        try #require(answers.count == queries.count)
        var mismatches = 0
        for (query, answer) in zip(queries, answers) {
            let mine = Zones.named(query.zone).utcOffset(at: Date(timeIntervalSince1970: Double(query.instant)))
            if mine != answer {
                mismatches += 1
                if mismatches <= 20 {
                    Issue.record("\(query.zone) at \(query.instant): mine \(mine), python \(answer)")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(queries.count) offsets differ")
    }
}

/// Python's zoneinfo as an independent reader of the same tzdata.
enum PythonOracle {
    /// Whether `python3 -c "import zoneinfo"` works here.
    static let isAvailable: Bool = {
        let available = (try? run(script: "import zoneinfo", input: "")) != nil
        if !available {
            FileHandle.standardError.write(Data("WARNING: python3 with zoneinfo is missing; the tzdata cross-check is SKIPPED\n".utf8))
        }
        return available
    }()

    /// UTC offsets in seconds for each (zone, instant), in order.
    static func offsets(_ queries: [(zone: String, instant: Int)]) throws -> [Int] {
        let script = """
            import sys, datetime, zoneinfo
            out = []
            for line in sys.stdin:
                name, t = line.split()
                z = zoneinfo.ZoneInfo(name)
                d = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).astimezone(z)
                out.append(str(int(d.utcoffset().total_seconds())))
            print("\\n".join(out))
            """
        let input = queries.map { "\($0.zone) \($0.instant)" }.joined(separator: "\n") + "\n"
        return try run(script: script, input: input).split(separator: "\n").compactMap { Int($0) }
    }

    private struct Failed: Error {}

    private static func run(script: String, input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed() }
        return String(decoding: data, as: UTF8.self)
    }
}
