import Foundation

extension ControlClient {
    /// How the daemon answered a run-now.
    public enum RunNowReply: Sendable, Equatable {
        /// It refused the run, or could not start it; the message says why.
        case refused(String)
        /// The run ended: a note that came with the result, and the result (nil in a malformed reply).
        case result(message: String?, summary: RunSummary?)
    }

    /// Asks the daemon to take a backup of `job` now (with `wait`, to wait for a run of it already
    /// in progress and answer with that run's result) and follows the run: each line of its
    /// progress goes to `progress` until the daemon refuses or sends the result. Throws
    /// `ControlError` when the socket fails or a line is not a reply.
    public func runNow(job: String, wait: Bool, progress: (String) -> Void) throws -> RunNowReply {
        try send(ControlRequest(runNow: job, wait: wait))
        while true {
            let event = try next()
            switch event.event {
            case .queued, .started, .progress, .attached:
                if let message = event.message { progress(message) }
            case .refused, .error:
                return .refused(event.message ?? "the daemon refused the run")
            case .result:
                return .result(message: event.message, summary: event.result)
            }
        }
    }
}
