import Foundation

extension ClaimProtocol {
    /// Decides a job's maintenance claim (prune, sweep) from one read: unlike a slot's claim it
    /// is reused every time, so a `done` one is taken again (`If-Match` on its ETag) as an expired
    /// one is; only a live claim of another holder (or another process) makes this host yield.
    public func decideTask(existing: ClaimRecord?, etag: String?, serverNow: Date, pending: ClaimRecord? = nil) -> Decision {
        guard let existing, let etag else { return .create(initial(serverNow: serverNow)) }
        if let pending, existing == pending { return .hold(existing, etag: etag) }
        if existing.state != .done, existing.leaseExpiresAt > serverNow {
            return .yield(to: existing.hostId, state: existing.state)
        }
        var next = initial(serverNow: serverNow)
        next.fencing = existing.fencing + 1
        if existing.state != .done { next.takenOverFrom = existing.hostId }
        return .takeOver(next, ifMatch: etag, previous: existing)
    }
}
