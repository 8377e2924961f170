import Foundation
import Testing

/// Runs the built `backupd` binary, which SwiftPM puts next to the test bundle.
enum BackupdBinary {
    /// The binary's path, or nil when it has not been built.
    static let path: String? = {
        if let explicit = ProcessInfo.processInfo.environment["BACKUPD_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // On Darwin the runner sits inside the .xctest bundle; walk up to the products directory.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("backupd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `backupd` with `arguments`, failing the test if it takes more than 30 seconds.
    static func run(_ arguments: [String]) throws -> Result {
        let path = try #require(path, "backupd binary not found next to the test runner; build it with `swift build --product backupd` or set BACKUPD_BINARY")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        let errorData = Thread.detachNewThreadWithResult { stderr.fileHandleForReading.readDataToEndOfFile() }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        #expect(process.terminationReason == .exit, "backupd \(arguments) was killed (hung or crashed)")
        return Result(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData.wait(), as: UTF8.self))
    }
}

extension Thread {
    /// A tiny future: runs `body` on a new thread; `wait()` returns its value.
    final class Future<T>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: T?
        fileprivate func set(_ v: T) {
            value = v
            done.signal()
        }
        func wait() -> T {
            done.wait()
            return value!
        }
    }

    static func detachNewThreadWithResult<T>(_ body: @escaping @Sendable () -> T) -> Future<T> {
        let future = Future<T>()
        Thread.detachNewThread { future.set(body()) }
        return future
    }
}

@Suite("backupd cron next, end to end")
struct CronCommandEndToEndTests {
    static let examples: [([String], String)] = [
        (["--tz", "Europe/Berlin", "--from", "2026-03-28T12:00:00Z", "--count", "2", "30 2 * * *"],
         "2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n"),
        (["--tz", "Australia/Lord_Howe", "--from", "2026-10-03T00:00:00+00:00", "--count", "2", "--", "15 2 * * *"],
         "2026-10-04T02:30:00+11:00\n2026-10-05T02:15:00+11:00\n"),
        (["--tz", "America/New_York", "--from", "2026-10-31T12:00:00Z", "--count", "2", "30 1 * * *"],
         "2026-11-01T01:30:00-04:00\n2026-11-02T01:30:00-05:00\n"),
        (["--tz", "America/New_York", "--from", "2026-11-01T05:00:00Z", "--count", "3", "@hourly"],
         "2026-11-01T01:00:00-05:00\n2026-11-01T02:00:00-05:00\n2026-11-01T03:00:00-05:00\n"),
        (["--from", "2097-01-01T00:00:00Z", "--count", "1", "0 0 29 2 *"], "2104-02-29T00:00:00+00:00\n"),
        (["--from", "2026-01-01T00:00:00Z", "--count", "3", "--", "0 0 13 * 5"],
         "2026-01-02T00:00:00+00:00\n2026-01-09T00:00:00+00:00\n2026-01-13T00:00:00+00:00\n"),
        // Defaults: UTC and 5 results; a start given in another offset.
        (["--from", "2026-01-01T01:00:00+01:00", "@daily"],
         "2026-01-02T00:00:00+00:00\n2026-01-03T00:00:00+00:00\n2026-01-04T00:00:00+00:00\n"
            + "2026-01-05T00:00:00+00:00\n2026-01-06T00:00:00+00:00\n"),
        // A start without offset is local time in --tz.
        (["--tz", "Asia/Kathmandu", "--from", "2026-01-01T00:00:00", "--count", "1", "0 0 * * *"], "2026-01-02T00:00:00+05:45\n"),
    ]

    /// CRON.md's examples print exactly the documented lines and exit 0.
    @Test(arguments: examples)
    func printsFireTimes(_ arguments: [String], _ expected: String) throws {
        let result = try BackupdBinary.run(["cron", "next"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected)
        #expect(result.stderr.isEmpty)
    }

    static let failures: [([String], String)] = [
        (["61 * * * *"], "invalid cron expression \"61 * * * *\" at position 0 (token \"61\"): minute field: 61 is out of range 0-59"),
        (["--", "-5 * * * *"], "minute field: \"-5\" has a sign"),
        (["@hourlyy"], "unknown macro \"@hourlyy\"; valid macros: @yearly @annually @monthly @weekly @daily @midnight @hourly"),
        (["* * 30 2 *"], "can never fire: day 30 does not exist in February"),
        (["* * * *"], "expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
        (["--tz", "Europe/Berln", "@daily"], "unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?"),
        (["--tz", "../../etc/passwd", "@daily"], "invalid time zone"),
        (["--from", "yesterday", "@daily"], "--from \"yesterday\" is not an ISO 8601 date-time"),
        (["--count", "0", "@daily"], "--count 0 is invalid; use 1-100000"),
        (["--count", "-3", "@daily"], "--count"),
        (["0", "3", "*", "*", "*"], "the cron expression must be one argument; quote it"),
        ([], "missing cron expression"),
    ]

    /// Invalid input: a clear message on stderr naming the problem, nothing on stdout, non-zero exit.
    @Test(arguments: failures)
    func rejectsInvalidInput(_ arguments: [String], _ message: String) throws {
        let result = try BackupdBinary.run(["cron", "next"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
