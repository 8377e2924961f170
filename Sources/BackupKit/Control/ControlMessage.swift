import Foundation

/// A request to the daemon over the control socket: one JSON object on one line.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// What to do; only `run-now` exists.
    public var command: String
    /// The job to run.
    public var job: String
    /// When the job is already running: wait for that run's result instead of refusing.
    public var wait: Bool?
    /// `wal-push`: the WAL file that follows the request line as `size` raw bytes.
    public var wal: WALPushHeader?

    /// A run-now request.
    public init(runNow job: String, wait: Bool) {
        command = "run-now"
        self.job = job
        self.wait = wait
    }
}

/// One line the daemon sends back; `result`, `refused` and `error` are the last line.
public struct ControlEvent: Codable, Sendable, Equatable {
    /// The kinds of line.
    public enum Kind: String, Codable, Sendable {
        /// Waiting for a free slot under maxConcurrentJobs.
        case queued
        /// The run started (its id in `run`).
        case started
        /// The upload started (`message` names the object).
        case progress
        /// The job was already running and the client waits for that run (`--wait`).
        case attached
        /// The job was already running (or queued): no second run was started.
        case refused
        /// The run ended: `result` says how.
        case result
        /// The request could not be served.
        case error
    }

    /// The kind of line.
    public var event: Kind
    /// The run concerned.
    public var run: Int64?
    /// A sentence for the user.
    public var message: String?
    /// For `result`: how the run ended.
    public var result: RunSummary?

    /// Creates an event.
    public init(_ event: Kind, run: Int64? = nil, message: String? = nil, result: RunSummary? = nil) {
        self.event = event
        self.run = run
        self.message = message
        self.result = result
    }

    /// Whether this is the last line of the reply.
    public var isFinal: Bool { event == .result || event == .refused || event == .error }
}
