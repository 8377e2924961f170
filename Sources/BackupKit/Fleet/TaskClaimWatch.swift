import Synchronization

/// Whether a maintenance task (a `runOn: "any"` job's prune or sweep) still holds its claim: the
/// claim's renewal marks it lost when another host took the claim over (a 412 on `If-Match`), and
/// it counts as lapsed while no write of the claim succeeded for most of its lease (this host was
/// paused or cut off, so another host may hold it by now). The task's stores
/// (`ClaimGuardedStoreProvider`) refuse every delete while either holds.
public final class TaskClaimWatch: Sendable {
    private struct State {
        var lostTo: String?
        var heldAt: ContinuousClock.Instant?
        var lease: Duration?
    }

    /// The task watched.
    public let task: JobTaskClaimer.Kind
    /// The job whose task it is.
    public let job: String
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    /// A watch of `job`'s `task`; `now` is a monotonic clock (it runs on while the process is
    /// stopped, so a paused host sees its lease lapse).
    public init(task: JobTaskClaimer.Kind, job: String, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.task = task
        self.job = job
        self.now = now
    }

    /// The host that took the claim over (nil while this host holds it).
    public var lostTo: String? { state.withLock { $0.lostTo } }

    /// Records that `host` took the claim over; the first loss is kept.
    public func lose(to host: String) {
        state.withLock { if $0.lostTo == nil { $0.lostTo = host } }
    }

    /// Records a successful write of the claim (taken or renewed) now, under `lease`.
    public func held(lease: Duration) {
        let at = now()
        state.withLock { state in
            state.heldAt = at
            state.lease = lease
        }
    }

    /// Throws `TaskClaimError.lost` once the claim was lost, `.lapsed` while its last successful
    /// write is five sixths of the lease ago or more (a sixth is left for that write's own round
    /// trip, since the server computed the expiry from its `Date`): called before each delete.
    public func check() throws(TaskClaimError) {
        let (lostTo, heldAt, lease) = state.withLock { ($0.lostTo, $0.heldAt, $0.lease) }
        if let host = lostTo { throw .lost(task: task, job: job, to: host) }
        if let heldAt, let lease, now() - heldAt >= lease * 5 / 6 {
            throw .lapsed(task: task, job: job, lease: lease)
        }
    }
}

/// Why a claimed maintenance task stopped.
public enum TaskClaimError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another host took the task's claim over while it ran: nothing more is deleted.
    case lost(task: JobTaskClaimer.Kind, job: String, to: String)
    /// The claim was not renewed for most of its lease: another host may hold it by now.
    case lapsed(task: JobTaskClaimer.Kind, job: String, lease: Duration)

    public var description: String {
        switch self {
        case .lost(let task, let job, let host):
            return "not deleted: the \(task.rawValue) of job \(job) lost its claim to host \(host) (its lease ran out and that host took over), "
                + "so this host stopped before this delete; \(host) carries the \(task.rawValue) on"
        case .lapsed(let task, let job, let lease):
            return "not deleted: the \(task.rawValue) of job \(job) could not renew its claim for most of its \(lease.components.seconds) s lease "
                + "(this host was paused or cannot reach the bucket), so another host may hold it; this host stopped before this delete"
        }
    }
}
