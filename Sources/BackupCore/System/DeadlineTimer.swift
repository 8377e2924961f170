import Dispatch

/// A one-shot timer whose handler (and whatever it captures: a dump tool's process, its pipes) is
/// released as soon as it is cancelled. A cancelled `asyncAfter` work item keeps its closure until
/// its deadline, which for a job's 24 h timeout kept every run's process and descriptors alive for
/// a day: the daemon's memory and open files grew with every run.
package final class DeadlineTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer

    /// Calls `handler` once at `deadline` unless cancelled first.
    package init(deadline: DispatchTime, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: deadline, repeating: .never)
        source.setEventHandler(handler: handler)
        source.resume()
    }

    /// Stops the timer and releases its handler.
    package func cancel() { source.cancel() }

    deinit { source.cancel() }
}
