import Glibc
import Logging

/// A swift-log handler writing one line per event to stderr with a journald priority prefix
/// (`<3>` error … `<7>` debug), followed by the message and `key=value` metadata sorted by key
/// (values with spaces or quotes are quoted). journald reads the prefix as the priority, so
/// `journalctl -p warning` works; outside systemd the line is still readable.
public struct JournalLogHandler: LogHandler {
    /// Where lines go: a sink receiving one complete line (with its newline) per event.
    public typealias Sink = @Sendable (String) -> Void

    /// The handler's own metadata, merged under each event's.
    public var metadata: Logger.Metadata = [:]
    /// Supplies contextual metadata (task-locals) per event.
    public var metadataProvider: Logger.MetadataProvider?
    /// The minimum level logged.
    public var logLevel: Logger.Level = .info

    /// Writes the time after the priority prefix (`<6>2026-12-01T03:00:00.123Z ...`); set when
    /// stderr is not the journal, which stamps lines itself (see `stderrIsJournal`).
    public var timestamp: (@Sendable () -> String)?

    /// The logger's label (not printed: journald already knows the service).
    public let label: String
    private let sink: Sink

    /// A handler writing to stderr: `LoggingSystem.bootstrap { JournalLogHandler(label: $0) }`.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, sink: Self.standardError)
    }

    /// A handler writing each line to `sink` (tests capture lines this way).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping Sink) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    /// One key of the handler's own metadata.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one line: handler, provider and event metadata merged (event wins).
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        var line = Self.line(level: event.level, message: event.message.description, metadata: merged)
        if let timestamp {
            let prefix = Self.prefix(for: event.level)
            line = prefix + timestamp() + " " + line.dropFirst(prefix.count)
        }
        sink(line)
    }

    /// Whether stderr is systemd's journal stream: `JOURNAL_STREAM` (`DEVICE:INODE`, set by
    /// systemd) names the file that stderr is. Redirected to a file or a terminal, it is not.
    public static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        var info = stat()
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]), fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// `seconds` since 1970 as RFC 3339 UTC with milliseconds (`2026-12-01T03:00:00.123Z`).
    public static func utcTimestamp(_ seconds: Double) -> String {
        let total = Int64((seconds * 1000).rounded())
        var whole = time_t(total / 1000)
        let millis = total % 1000
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// The journald priority prefix of a level (syslog severities).
    public static func prefix(for level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "<7>"
        case .info: "<6>"
        case .notice: "<5>"
        case .warning: "<4>"
        case .error: "<3>"
        case .critical: "<2>"
        }
    }

    /// The full line for an event, newline included.
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = prefix(for: level) + escaped(message)
        for key in metadata.keys.sorted() {
            line += " " + escaped(key.isEmpty ? "_" : key).replacingSpaces() + "=" + value(metadata[key]!)
        }
        return line + "\n"
    }

    /// A metadata value, quoted when it is empty or has spaces, quotes, `=` or escapes.
    static func value(_ value: Logger.Metadata.Value) -> String {
        let text = escaped("\(value)")
        let needsQuotes = text.isEmpty || text.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Escapes backslashes and control characters so that an event stays on one line.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Writes the line with one write(2) per chunk so that concurrent events do not interleave mid-line.
    private static let standardError: Sink = { line in
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

extension String {
    /// Keys cannot hold spaces in `key=value` form.
    fileprivate func replacingSpaces() -> String { replacingOccurrences(of: " ", with: "_") }
}
