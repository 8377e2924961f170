import BackupCore
import Foundation
import Logging
import S3Kit
import Synchronization

/// Delivers notifications off the backup's path: in order, by one pump on the `BlockingBridge`
/// while any are queued, with a short timeout per attempt and a few retries with backoff. A delivery that still fails is logged as a warning
/// naming only the URL's scheme and host; nothing is ever thrown back to the backup.
public final class NotificationSender: Sendable {
    private let transport: any HTTPTransport
    private let attempts: Int
    private let retryDelay: Duration
    private let logger: Logger
    private let state = Mutex(State())

    /// The messages not yet delivered, and who waits for them all to be.
    private struct State {
        var queued: [(message: NotificationMessage, metadata: Logger.Metadata)] = []
        var pumping = false
        var flushes: [BlockingBridge.Completion] = []
    }

    /// Attempts made per message when not told otherwise.
    public static let defaultAttempts = 3
    /// Seconds one attempt may take (connect and transfer) with the live transport.
    public static let attemptTimeoutSeconds = 10

    /// A sender over `transport` (see `live(logger:)` for libcurl with short timeouts).
    public init(transport: any HTTPTransport, attempts: Int = NotificationSender.defaultAttempts, retryDelay: Duration = .milliseconds(500), logger: Logger) {
        self.transport = transport
        self.attempts = max(1, attempts)
        self.retryDelay = retryDelay
        self.logger = logger
    }

    /// The live sender: libcurl with a 5 s connect timeout and `attemptTimeoutSeconds` per attempt.
    public static func live(logger: Logger) -> NotificationSender {
        var options = CurlTransport.Options()
        options.connectTimeout = 5
        options.totalTimeout = attemptTimeoutSeconds
        options.lowSpeedSeconds = attemptTimeoutSeconds
        return NotificationSender(transport: CurlTransport(options: options), logger: logger)
    }

    /// Queues `message`; returns at once.
    public func send(_ message: NotificationMessage, metadata: Logger.Metadata) {
        let start = state.withLock { state -> Bool in
            state.queued.append((message, metadata))
            defer { state.pumping = true }
            return !state.pumping
        }
        if start { BlockingBridge.shared.detach { [self] in pump() } }
    }

    /// Waits up to `timeout` for queued messages (for `run-now`, before the process exits);
    /// false when some were still being sent. It blocks its thread.
    @discardableResult
    public func flush(timeout: Duration) -> Bool {
        let flushed = BlockingBridge.Completion()
        let idle = state.withLock { state -> Bool in
            if state.pumping { state.flushes.append(flushed) }
            return !state.pumping
        }
        return idle || flushed.waitBlocking(timeout: timeout)
    }

    /// Delivers the queued messages in order until none is left, then tells the flushes.
    private func pump() {
        while true {
            let next = state.withLock { state -> (message: NotificationMessage, metadata: Logger.Metadata)? in
                state.queued.isEmpty ? nil : state.queued.removeFirst()
            }
            if let next {
                deliver(next.message, metadata: next.metadata)
                continue
            }
            let flushes = state.withLock { state -> [BlockingBridge.Completion]? in
                guard state.queued.isEmpty else { return nil }
                state.pumping = false
                defer { state.flushes = [] }
                return state.flushes
            }
            guard let flushes else { continue }
            for flush in flushes { flush.finish() }
            return
        }
    }

    private func deliver(_ message: NotificationMessage, metadata: Logger.Metadata) {
        var metadata = metadata
        metadata["notify.target"] = "\(NotificationMessage.safeTarget(message.url.value))"
        var delay = retryDelay
        var lastProblem = ""
        for attempt in 1...attempts {
            do {
                let request = HTTPRequest(method: message.method, url: message.url.value, headers: message.headers)
                let response = try message.body.withUnsafeBytes { try transport.send(request, body: $0, sink: nil) }
                if (200..<300).contains(response.status) {
                    logger.debug("notification sent", metadata: metadata.merging(["notify.attempt": "\(attempt)"]) { $1 })
                    return
                }
                lastProblem = "HTTP \(response.status)"
                // A client error other than rate limiting will not change on a retry.
                if (400..<500).contains(response.status) && response.status != 429 && response.status != 408 { break }
            } catch let error as HTTPTransportError {
                lastProblem = Self.describe(error)
            } catch {
                lastProblem = "unexpected error"
            }
            if attempt < attempts {
                Thread.sleep(forTimeInterval: delay.seconds)
                delay *= 2
            }
        }
        logger.warning("notification not delivered; the backup itself is unaffected", metadata: metadata.merging([
            "notify.problem": "\(lastProblem)", "notify.attempts": "\(attempts)"]) { $1 })
    }

    /// The transport's error without its detail text, which may quote the URL.
    static func describe(_ error: HTTPTransportError) -> String {
        switch error {
        case .nameResolution: return "cannot resolve the host"
        case .connect: return "cannot connect"
        case .tls: return "TLS failed"
        case .connectionLost: return "connection lost or timed out"
        case .other: return "transfer failed"
        case .abandoned: return "abandoned"
        }
    }
}
