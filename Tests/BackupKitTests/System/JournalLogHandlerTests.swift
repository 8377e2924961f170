import BackupCore
import BackupKit
import Glibc
import Logging
import Synchronization
import TestThreads
import Testing

/// Captures the lines a handler writes.
private final class Capture: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }

    func append(_ line: String) { storage.withLock { $0.append(line) } }

    func logger(level: Logger.Level = .trace, provider: Logger.MetadataProvider? = nil) -> Logger {
        var logger = Logger(label: "backupd") { label in
            JournalLogHandler(label: label, metadataProvider: provider) { line in
                self.storage.withLock { $0.append(line) }
            }
        }
        logger.logLevel = level
        return logger
    }
}

private struct Failure: Error, CustomStringConvertible {
    var description: String { "bucket gone" }
}

@Suite("Journal log handler", .ownThreads)
struct JournalLogHandlerTests {
    /// Each swift-log level gets its journald priority prefix, one line per event.
    @Test(arguments: [
        (Logger.Level.trace, "<7>"), (.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"), (.warning, "<4>"),
        (.error, "<3>"), (.critical, "<2>"),
    ])
    func priorityPrefixes(level: Logger.Level, prefix: String) {
        let capture = Capture()
        capture.logger().log(level: level, "hello")
        #expect(capture.lines == [prefix + "hello\n"])
    }

    /// Metadata follows the message sorted by key; values with spaces, quotes or `=` are quoted and escaped.
    @Test func metadataFormatting() {
        let capture = Capture()
        var logger = capture.logger()
        logger[metadataKey: "job.name"] = "orders"
        logger.info(
            "upload finished",
            metadata: [
                "s3.upload_id": "2~abc", "run.id": "42", "error.message": "no such bucket",
                "quote": "say \"hi\"", "eq": "a=b", "empty": "", "path": #"C:\tmp"#,
            ])
        #expect(
            capture.lines == [
                #"<6>upload finished empty="" eq="a=b" error.message="no such bucket" job.name=orders "#
                    + #"path="C:\\tmp" quote="say \"hi\"" run.id=42 s3.upload_id=2~abc"# + "\n"
            ])
    }

    /// A multi-line message or value stays on one line; event metadata overrides handler and provider metadata.
    @Test func oneLinePerEventAndPrecedence() {
        let provider = Logger.MetadataProvider { ["job.name": "from-provider", "trace": "t1"] }
        let capture = Capture()
        var logger = capture.logger(provider: provider)
        logger[metadataKey: "job.name"] = "from-handler"
        logger.warning("line one\nline two", metadata: ["job.name": "from-event", "stderr": "a\nb"])
        #expect(capture.lines == [#"<4>line one\nline two job.name=from-event stderr="a\nb" trace=t1"# + "\n"])
    }

    /// An attached error is logged as the `error` key.
    @Test func errorIsLogged() {
        let capture = Capture()
        var event = LogEvent(
            level: .error, message: "run failed", metadata: ["run.id": "7"], source: "BackupKit", file: #fileID,
            function: #function, line: #line)
        event.error = Failure()
        JournalLogHandler(label: "x", sink: capture.append).log(event: event)
        #expect(capture.lines == [#"<3>run failed error="bucket gone" run.id=7"# + "\n"])
    }

    /// Levels below the logger's level are dropped.
    @Test func levelFilter() {
        let capture = Capture()
        let logger = capture.logger(level: .notice)
        logger.info("quiet")
        logger.notice("loud")
        #expect(capture.lines == ["<5>loud\n"])
    }

    /// With a timestamp source (stderr is not the journal) the time follows the priority prefix.
    @Test func timestampAfterPriority() {
        let capture = Capture()
        var handler = JournalLogHandler(label: "backupd") { line in capture.append(line) }
        handler.timestamp = { JournalLogHandler.utcTimestamp(1_796_094_000.123) }
        let logger = Logger(label: "backupd") { _ in handler }
        logger.warning("late", metadata: ["job.name": "a"])
        #expect(capture.lines == ["<4>2026-12-01T03:00:00.123Z late job.name=a\n"])
    }

    /// RFC 3339 UTC with milliseconds, zero-padded.
    @Test(arguments: [(0.0, "1970-01-01T00:00:00.000Z"), (1_796_094_000.5, "2026-12-01T03:00:00.500Z"), (951_782_400.007, "2000-02-29T00:00:00.007Z")])
    func utcTimestamps(seconds: Double, expected: String) {
        #expect(JournalLogHandler.utcTimestamp(seconds) == expected)
    }

    /// stderr is the journal only when JOURNAL_STREAM names the file that fd 2 is.
    @Test func journalDetection() {
        var info = stat()
        #expect(fstat(2, &info) == 0)
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
    }
}

@Suite("Journal log handler on the real stderr", .ownThreads)
struct JournalLogHandlerStderrTests {
    /// The default handler writes the line to file descriptor 2 (redirected into a pipe for the test).
    @Test func writesToStandardError() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let saved = dup(STDERR_FILENO)
        dup2(fds[1], STDERR_FILENO)
        let marker = "stderr-check-\(UInt64.random(in: 0...UInt64.max))"
        JournalLogHandler(label: "x").log(
            event: LogEvent(
                level: .warning, message: "\(marker)", metadata: ["k": "v w"], source: "t", file: #fileID,
                function: #function, line: #line))
        dup2(saved, STDERR_FILENO)
        close(saved)
        close(fds[1])
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            data += buffer[..<count]
        }
        close(fds[0])
        #expect(String(decoding: data, as: UTF8.self).contains("<4>\(marker) k=\"v w\"\n"))
    }
}
