import Foundation

/// What the reader thread and the part workers of one upload share, behind one condition:
/// the free buffers (the backpressure), the parts waiting to be sent, the results and the first error.
final class UploadState: @unchecked Sendable {
    struct Pending {
        var number: Int
        var buffer: PartBuffer
        var length: Int
        /// The part's hex SHA-256, which signs it.
        var sha256: String
    }

    private let condition = NSCondition()
    private let bufferLimit: Int
    private var freeBuffers: [PartBuffer] = []
    private var allocatedBuffers = 0
    private var pending: [Pending] = []
    private var inputFinished = false
    private var liveWorkers = 0
    private var queuedCount = 0
    private(set) var etags: [Int: String] = [:]
    private(set) var failure: Error?
    /// The most bytes of part buffers allocated at once (for the memory bound's tests).
    private(set) var peakBufferBytes = 0
    private var currentBufferBytes = 0

    init(bufferLimit: Int) {
        self.bufferLimit = bufferLimit
    }

    /// Records the first failure and wakes everyone.
    func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// The first failure, if any.
    var error: Error? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// A buffer of at least `size` bytes; blocks while all buffers are in use. Nil after a failure.
    func acquireBuffer(size: Int) -> PartBuffer? {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && freeBuffers.isEmpty && allocatedBuffers >= bufferLimit {
            condition.wait()
        }
        guard failure == nil else { return nil }
        if let index = freeBuffers.firstIndex(where: { $0.capacity == size }) {
            return freeBuffers.remove(at: index)
        }
        if let stale = freeBuffers.popLast() {
            // The part size grew: drop a smaller buffer rather than keep both.
            allocatedBuffers -= 1
            currentBufferBytes -= stale.capacity
        }
        allocatedBuffers += 1
        currentBufferBytes += size
        peakBufferBytes = max(peakBufferBytes, currentBufferBytes)
        return PartBuffer(capacity: size)
    }

    /// Returns a buffer that is no longer needed.
    func releaseBuffer(_ buffer: PartBuffer) {
        condition.lock()
        freeBuffers.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// Queues a filled part for the workers.
    func enqueue(_ part: Pending) {
        condition.lock()
        pending.append(part)
        queuedCount += 1
        condition.broadcast()
        condition.unlock()
    }

    /// No more parts will come.
    func finishInput() {
        condition.lock()
        inputFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next part for a worker, or nil when there is nothing more to do (done or failed).
    func nextPart() -> Pending? {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && pending.isEmpty && !inputFinished {
            condition.wait()
        }
        guard failure == nil, !pending.isEmpty else { return nil }
        return pending.removeFirst()
    }

    /// Records a sent part.
    func partSent(number: Int, etag: String) {
        condition.lock()
        etags[number] = etag
        condition.broadcast()
        condition.unlock()
    }

    /// Counts a worker thread in.
    func workerStarted() {
        condition.lock()
        liveWorkers += 1
        condition.unlock()
    }

    /// Counts a worker thread out.
    func workerExited() {
        condition.lock()
        liveWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until every worker has exited (all parts sent, or stopped by a failure).
    func waitForWorkers() {
        condition.lock()
        while liveWorkers > 0 { condition.wait() }
        condition.unlock()
    }

    /// Whether every queued part was sent.
    var allSent: Bool {
        condition.lock()
        defer { condition.unlock() }
        return etags.count == queuedCount
    }
}
