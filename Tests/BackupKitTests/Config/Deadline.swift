import Foundation

/// Runs `body` on another thread and fails the test if it has not returned within `seconds`, so a
/// read that blocks on a FIFO shows up as a failure instead of a hung test run.
func withinDeadline<T: Sendable>(seconds: Double = 5, _ body: @escaping @Sendable () -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Thread {
        box.set(body())
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success, let value = box.get() else {
        throw TestDeadlineExceeded(seconds: seconds)
    }
    return value
}

/// The result of a body run on another thread.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ value: T) { lock.withLock { self.value = value } }
    func get() -> T? { lock.withLock { value } }
}

/// A body that did not return in time.
struct TestDeadlineExceeded: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "did not return within \(seconds) s (blocked?)" }
}
