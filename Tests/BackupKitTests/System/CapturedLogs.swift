import Logging
import Synchronization

/// Keeps what a logger was given (level, message, metadata merged with the logger's), for assertions.
final class CapturedLogs: Sendable {
    let entries = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    private let label: String

    init(label: String = "test.captured") { self.label = label }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.entries.withLock { $0.append((event.level, "\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 })) }
        }
    }

    var logger: Logger { Logger(label: label) { _ in Handler(sink: self) } }

    /// The messages, in order.
    func messages() -> [String] { entries.withLock { $0.map(\.message) } }
}
