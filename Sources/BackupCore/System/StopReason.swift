import Synchronization

/// Why a task was cancelled (a shutdown, a timeout, a lost claim, a signal), set by whoever cancels
/// it just before cancelling: Task cancellation carries no reason, and the history's texts need one.
/// The first reason set wins; a reason nested in another (a deadline inside a run) falls back to
/// the outer one while it has none of its own. A plain value holder: it cancels nothing itself.
public final class StopReason: Sendable {
    private let value = Mutex<String?>(nil)
    private let outer: StopReason?

    /// The reason for the task tree that runs with it (`StopReason.$current.withValue`).
    @TaskLocal public static var current: StopReason?

    /// No reason yet; `outer`'s reason counts while this one has none.
    public init(within outer: StopReason? = nil) {
        self.outer = outer
    }

    /// The reason, nil while none was set (here or outside).
    public var reason: String? { value.withLock { $0 } ?? outer?.reason }

    /// Sets the reason unless one was set before.
    public func set(_ reason: String) {
        value.withLock { if $0 == nil { $0 = reason } }
    }

    /// The current task's stop reason, or a plain "cancelled".
    public static var text: String { current?.reason ?? "cancelled" }
}
