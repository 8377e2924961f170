import Dispatch
import Synchronization

/// A one-shot timer whose handler (and whatever it captures: a dump tool's process, its pipes) is
/// released as soon as it is cancelled. A cancelled `asyncAfter` work item keeps its closure until
/// its deadline, which for a job's 24 h timeout kept every run's process and descriptors alive for
/// a day: the daemon's memory and open files grew with every run.
package final class DeadlineTimer: Sendable {
    /// The timer source (not Sendable itself: reached only under the mutex).
    private let source: Mutex<any DispatchSourceTimer>

    /// Calls `handler` once at `deadline` unless cancelled first.
    package init(deadline: DispatchTime, handler: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: deadline, repeating: .never)
        timer.setEventHandler(handler: handler)
        timer.resume()
        source = Mutex(timer)
    }

    /// Stops the timer and releases its handler.
    package func cancel() { source.withLock { $0.cancel() } }

    deinit { cancel() }
}
