import Synchronization

extension BlockingBridge {
    /// A value (a borrowed buffer, a byte source, a sink, a part) lent to one bridge call, pump or
    /// child task. The lender does not touch it until the borrower has handed it back or ended
    /// (`run` always waits for its body to return), so only one thread uses it at a time: the one
    /// audited escape from the checker for values that move between threads without being Sendable.
    public struct Handoff<Value>: @unchecked Sendable {  // unchecked: lent to one bridge call, which the lender awaits
        /// The lent value.
        public var value: Value

        /// Lends `value`.
        public init(_ value: Value) { self.value = value }
    }

    /// A flag an interrupt raises and a blocking call checks (libcurl's progress callback).
    public final class AbortFlag: Sendable {
        private let raised = Atomic<Bool>(false)

        /// A flag that is down.
        public init() {}

        /// Raises the flag.
        public func raise() { raised.store(true, ordering: .releasing) }

        /// Whether the flag was raised.
        public var isRaised: Bool { raised.load(ordering: .acquiring) }
    }
}
