import Foundation
import Synchronization

/// The one place that owns threads. Blocking calls (libcurl, SQLite, `read`/`write` on pipes and
/// sockets, `waitpid`) run here on a small pool of long-lived threads, and async code awaits them
/// without holding a cooperative thread.
///
/// Cancellation is structured: when the awaiting task is cancelled, the call's `interrupt` runs
/// (abort a transfer, kill a process, shut a socket down) and `run` still returns only once the
/// blocking call has returned, so no work outlives the task that started it. A call whose task was
/// cancelled before a thread picked it up never starts and throws `CancellationError`.
///
/// Threads are reused: a run does not create threads, so glibc's per-thread arenas do not multiply
/// with the number of runs. Up to `keepIdle` idle threads stay; more leave after `idleTimeout`.
public final class BlockingBridge: @unchecked Sendable {  // unchecked: every stored var is guarded by `condition`
    /// The process's bridge.
    public static let shared = BlockingBridge(name: "backupd-io")

    private let name: String
    private let keepIdle: Int
    private let idleTimeout: TimeInterval
    private let condition = NSCondition()
    /// A job runs its blocking body and returns how to tell its caller (resume a continuation), which
    /// the worker does once it counts itself idle again: a caller that submits its next call at once
    /// then finds this thread, instead of starting another.
    private typealias Job = @Sendable () -> (@Sendable () -> Void)?
    private var queue: [Job] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var created = 0

    /// A pool whose threads are named `name-N`.
    public init(name: String, keepIdle: Int = 8, idleTimeout: TimeInterval = 60) {
        self.name = name
        self.keepIdle = keepIdle
        self.idleTimeout = idleTimeout
    }

    /// How many threads the pool has created in its life (for tests and the soak benchmark).
    public var threadsCreated: Int {
        condition.lock()
        defer { condition.unlock() }
        return created
    }

    /// Runs the blocking `body` on a pool thread and returns its result. On cancellation of the
    /// calling task `interrupt` runs once (possibly before `body` starts, possibly while it runs, so
    /// it must leave a mark `body` checks, such as an abort flag or a killed process group); the
    /// call still waits for `body` to return.
    public func run<T: Sendable>(
        interrupt: (@Sendable () -> Void)? = nil, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let call = Mutex(CallState())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                submit {
                    let cancelledFirst = call.withLock { state -> Bool in
                        state.started = true
                        return state.cancelled
                    }
                    if cancelledFirst {
                        return { continuation.resume(throwing: CancellationError()) }
                    }
                    let result = Result { try body() }
                    return { continuation.resume(with: result) }
                }
            }
        } onCancel: {
            let started = call.withLock { state -> Bool in
                state.cancelled = true
                return state.started
            }
            if started { interrupt?() }
        }
    }

    /// Runs `body` to completion whatever happens to the calling task (a history write that must
    /// land even while the run is being cancelled).
    public func runToCompletion<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit {
                let result = body()
                return { continuation.resume(returning: result) }
            }
        }
    }

    /// Starts `body` on a pool thread from synchronous code, without awaiting it (a pump whose
    /// end its owner learns otherwise). It needs no cooperative thread to start, so it cannot
    /// starve behind blocked callers; stopping it is the owner's business (killing the process
    /// it feeds, closing the descriptor it reads).
    public func detach(_ body: @escaping @Sendable () -> Void) {
        submit {
            body()
            return nil
        }
    }

    private struct CallState {
        var started = false
        var cancelled = false
    }

    private func submit(_ job: @escaping Job) {
        condition.lock()
        queue.append(job)
        let waiting = queue.count - head
        let spawn = waiting > idle
        if spawn {
            threads += 1
            created += 1
        }
        let number = created
        condition.signal()
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(number)"
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            if head < queue.count {
                let job = queue[head]
                head += 1
                if head == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    head = 0
                }
                condition.unlock()
                let answer = job()
                condition.lock()
                if let answer {
                    idle += 1
                    condition.unlock()
                    answer()
                    condition.lock()
                    idle -= 1
                }
                continue
            }
            if idle >= keepIdle {
                threads -= 1
                condition.unlock()
                return
            }
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
            idle -= 1
            if !signalled, head == queue.count, idle + 1 > keepIdle / 2 {
                threads -= 1
                condition.unlock()
                return
            }
        }
    }
}

extension BlockingBridge {
    /// The end of work started with `detach` (a pump), signalled once by that work: async code
    /// awaits it; the few synchronous callers left (which run off the cooperative pool) block on it.
    public final class Completion: Sendable {
        private let signal = CompletionSignal()
        private let semaphore = DispatchSemaphore(value: 0)

        /// Not finished yet.
        public init() {}

        /// Marks the end; call it once.
        public func finish() {
            signal.signal()
            semaphore.signal()
        }

        /// Returns once the work has ended.
        public func wait() async {
            await signal.wait()
        }

        /// Blocks the calling thread until the work has ended.
        public func waitBlocking() {
            semaphore.wait()
            semaphore.signal()
        }

        /// Blocks the calling thread for at most `timeout`; true when the work has ended.
        public func waitBlocking(timeout: Duration) -> Bool {
            guard semaphore.wait(timeout: .now() + timeout.seconds) == .success else { return false }
            semaphore.signal()
            return true
        }
    }
}
