import Foundation
import Synchronization

/// The fleet gauges the daemon exports on its own `/metrics` (`backupd fleet --prometheus`'s):
/// the latest status of each `runOn: "any"` job as read from its buckets by
/// `FleetMetricsService`, kept here between refreshes so a scrape never touches S3.
public final class FleetMetrics: Sendable {
    private struct State {
        var statuses: [String: FleetJobStatus] = [:]
        var readAt: [String: Date] = [:]
    }

    private let state = Mutex(State())
    /// A refresh asked for, and the reader waiting for one.
    private struct Request {
        var wanted = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let request = Mutex(Request())

    /// Nothing read yet (no fleet samples).
    public init() {}

    /// Keeps `status` (read from the bucket at `at`) for its job.
    public func update(_ status: FleetJobStatus, at: Date) {
        state.withLock { state in
            state.statuses[status.job] = status
            state.readAt[status.job] = at
        }
    }

    /// Forgets the jobs not in `jobs` (a reload removed them, or made them `runOn: "this"`).
    public func retain(jobs: Set<String>) {
        state.withLock { state in
            state.statuses = state.statuses.filter { jobs.contains($0.key) }
            state.readAt = state.readAt.filter { jobs.contains($0.key) }
        }
    }

    /// The latest status of each job read so far, by job name.
    public var statuses: [String: FleetJobStatus] { state.withLock { $0.statuses } }

    /// Asks for a refresh before the next interval ends (a `runOn: "any"` run of this host
    /// finished): wakes the reader if it waits.
    public func requestRefresh() {
        let waiter = request.withLock { request -> CheckedContinuation<Void, Never>? in
            request.wanted = true
            return request.waiter.take()
        }
        waiter?.resume()
    }

    /// Whether a refresh was asked for since the last call.
    func takeRefreshRequest() -> Bool {
        request.withLock { request in
            defer { request.wanted = false }
            return request.wanted
        }
    }

    /// Returns once a refresh is asked for (at once when one was asked since the last), or when
    /// the task is cancelled; the request is taken either way. One waiter at a time.
    func refreshRequested() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Checked under the lock: a cancellation before the waiter is stored finds none to
                // resume, so the waiter must not be stored then.
                let now = request.withLock { request -> Bool in
                    if request.wanted || Task.isCancelled { return true }
                    request.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = request.withLock { $0.waiter.take() }
            waiter?.resume()
        }
        _ = takeRefreshRequest()
    }

    /// The gauge families: `FleetJobStatus.metricFamilies` of the jobs read, in name order, and
    /// when each job's buckets were last read successfully.
    public func families() -> [FleetJobStatus.MetricFamily] {
        let (statuses, readAt) = state.withLock { ($0.statuses, $0.readAt) }
        var families = FleetJobStatus.metricFamilies(statuses.values.sorted { $0.job < $1.job })
        families.append(FleetJobStatus.MetricFamily(
            name: "backupd_fleet_last_read_timestamp_seconds",
            help: "When the daemon last read the job's claims and manifests from its buckets (the fleet gauges are as of then).",
            samples: readAt.sorted { $0.key < $1.key }.map { ([("backup_job", $0.key)], $0.value.timeIntervalSince1970.rounded(.down)) }))
        return families
    }
}
