import Foundation
import Glibc

/// The executor test bodies run on: every job it is given runs on a thread of its own pool, and a
/// job never waits for a thread, since a new one starts when none is idle.
///
/// Tests block by design (they wait for a child process, read a pipe, poll a file), and a test body
/// on Swift's cooperative pool holds one of its threads while it blocks: the pool has one thread
/// per core (two here), so two blocked tests stop every other task in the process, including the
/// in-process servers they wait on and Swift Testing's own time limits (the CI run of 2026-12-07
/// hung for 85 minutes that way). Here a blocked body holds a thread of this pool only.
public final class TestBodyExecutor: TaskExecutor, @unchecked Sendable {  // unchecked: the state is guarded by `condition`
    /// The one executor of the test process.
    public static let shared = TestBodyExecutor()

    /// Set in the `threadDictionary` of this executor's threads.
    public static let marker = "TestBodyExecutor"
    /// True on a thread of this executor.
    public static var isCurrent: Bool { Thread.current.threadDictionary[marker] != nil }

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var idle = 0
    private let keepIdle = 16

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let spawn = jobs.count > idle
        condition.signal()
        condition.unlock()
        if spawn {
            Thread.detachNewThread { [self] in
                Thread.current.threadDictionary[Self.marker] = true
                // A thread starts with its creator's signal mask, and dispatch's workers block
                // signals: children a body spawns would inherit that and ignore SIGTERM.
                var none = sigset_t()
                sigemptyset(&none)
                pthread_sigmask(SIG_SETMASK, &none, nil)
                work()
            }
        }
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
                condition.lock()
                continue
            }
            if idle >= keepIdle {
                condition.unlock()
                return
            }
            idle += 1
            condition.wait()
            idle -= 1
        }
    }
}
