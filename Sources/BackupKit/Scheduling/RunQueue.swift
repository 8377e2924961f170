/// A FIFO of runs waiting for a free slot under `maxConcurrentJobs`, in the order they came due.
/// Amortised O(1) push and pop (a head index instead of `removeFirst`).
struct RunQueue: Sendable {
    private var storage: [ScheduledRun] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var runs: ArraySlice<ScheduledRun> { storage[head...] }

    mutating func append(_ run: ScheduledRun) { storage.append(run) }

    mutating func popFirst() -> ScheduledRun? {
        guard head < storage.count else { return nil }
        let run = storage[head]
        head += 1
        if head > 64 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return run
    }

    /// Removes and returns the queued runs for which `shouldRemove` is true, keeping the order of the rest.
    mutating func removeAll(where shouldRemove: (ScheduledRun) -> Bool) -> [ScheduledRun] {
        let pending = storage[head...]
        storage = pending.filter { !shouldRemove($0) }
        head = 0
        return pending.filter(shouldRemove)
    }
}
