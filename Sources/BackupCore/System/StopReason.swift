import Synchronization

/// Why a task was cancelled (a shutdown, a timeout, a failed destination), set by whoever cancels
/// it just before cancelling: Task cancellation carries no reason, and the history's texts need one.
/// The first reason set wins.
public final class StopReason: Sendable {
    private let value = Mutex<String?>(nil)

    /// The reason for the task tree that runs with it (`StopReason.$current.withValue`).
    @TaskLocal public static var current: StopReason?

    /// No reason yet.
    public init() {}

    /// The reason, nil while none was set.
    public var reason: String? { value.withLock { $0 } }

    /// Sets the reason unless one was set before.
    public func set(_ reason: String) {
        value.withLock { if $0 == nil { $0 = reason } }
    }

    /// The current task's stop reason, or a plain "cancelled".
    public static var text: String { current?.reason ?? "cancelled" }
}
