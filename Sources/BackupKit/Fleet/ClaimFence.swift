import Foundation
import Synchronization

/// The claim a running backup holds on its slot: renewed while the run goes on, re-validated
/// (moved to `completing`) before the manifest, marked `done` at the end. Its writes are one at a
/// time (a renewal and the re-validation both name the last ETag), and once a write finds the
/// claim taken over the fence stays lost: the run writes no manifest.
public final class ClaimFence: Sendable {
    /// The fence of the run in this task, if it runs under a claim (`FencedExecutor` sets it;
    /// `BackupRunner` re-validates it before writing manifests).
    @TaskLocal public static var current: ClaimFence?

    private struct State {
        var held: ClaimStore.Held
        var lost: ClaimError?
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Executes the claim's writes.
    public let claims: ClaimStore
    private let state: Mutex<State>

    /// A fence over `held`, a claim this host won.
    public init(claims: ClaimStore, held: ClaimStore.Held) {
        self.claims = claims
        self.state = Mutex(State(held: held))
    }

    /// The claim as this host last wrote it.
    public var record: ClaimRecord { state.withLock { $0.held.record } }

    /// Why the claim was lost (nil while this host holds it).
    public var lost: ClaimError? { state.withLock { $0.lost } }

    /// Extends the lease; throws `ClaimError.lostClaim` once another host took the slot over.
    public func renew() async throws {
        try await write { held in
            guard held.record.state == .running else { return held }
            return try await claims.renew(held)
        }
    }

    /// Records the run's backup id in the claim before its first upload; throws
    /// `ClaimError.lostClaim` once another host took the slot over.
    public func begin(backupId: String) async throws {
        try await write { held in
            guard held.record.state == .running else { return held }
            return try await claims.begin(held, backupId: backupId)
        }
    }

    /// Moves the claim to `completing` before the manifest and returns it (with its fencing
    /// number); throws `ClaimError.lostClaim` when the slot was taken over (write no manifest).
    public func complete() async throws -> ClaimRecord {
        try await write { held in try await claims.complete(held) }
        return record
    }

    /// Marks the slot done after the run (whatever its outcome), so no host takes it over.
    public func finish() async throws {
        try await write { held in try await claims.finish(held) }
    }

    /// Runs one write at a time on the held claim; a loss sticks.
    private func write(_ body: (ClaimStore.Held) async throws -> ClaimStore.Held) async throws {
        await acquire()
        defer { release() }
        let (held, lost) = state.withLock { ($0.held, $0.lost) }
        if let lost { throw lost }
        do {
            let next = try await body(held)
            state.withLock { $0.held = next }
        } catch let error as ClaimError {
            if case .lostClaim = error { state.withLock { $0.lost = error } }
            throw error
        }
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = state.withLock { state -> Bool in
                if !state.busy {
                    state.busy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    /// Hands the turn to the next waiter (it stays busy), or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
