import Synchronization

/// Whether a maintenance task (a `runOn: "any"` job's prune or sweep) still holds its claim: the
/// claim's renewal marks it lost when another host took the claim over (a 412 on `If-Match`), and
/// the task's stores (`ClaimGuardedStoreProvider`) refuse every delete from then on.
public final class TaskClaimWatch: Sendable {
    /// The task watched.
    public let task: JobTaskClaimer.Kind
    /// The job whose task it is.
    public let job: String
    private let holder = Mutex<String?>(nil)

    /// A watch of `job`'s `task`, held until `lose(to:)`.
    public init(task: JobTaskClaimer.Kind, job: String) {
        self.task = task
        self.job = job
    }

    /// The host that took the claim over (nil while this host holds it).
    public var lostTo: String? { holder.withLock { $0 } }

    /// Records that `host` took the claim over; the first loss is kept.
    public func lose(to host: String) {
        holder.withLock { if $0 == nil { $0 = host } }
    }

    /// Throws `TaskClaimError.lost` once the claim was lost: called before each delete.
    public func check() throws(TaskClaimError) {
        if let host = lostTo { throw .lost(task: task, job: job, to: host) }
    }
}

/// Why a claimed maintenance task stopped.
public enum TaskClaimError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another host took the task's claim over while it ran: nothing more is deleted.
    case lost(task: JobTaskClaimer.Kind, job: String, to: String)

    public var description: String {
        switch self {
        case .lost(let task, let job, let host):
            return "not deleted: the \(task.rawValue) of job \(job) lost its claim to host \(host) (its lease ran out and that host took over), "
                + "so this host stopped before this delete; \(host) carries the \(task.rawValue) on"
        }
    }
}
