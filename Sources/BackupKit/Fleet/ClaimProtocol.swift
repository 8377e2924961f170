import Foundation

/// The claim protocol of one host for one job and slot, as pure decisions: given what the bucket
/// showed (the claim read, its ETag, the server's `Date` of that answer) it says what to write
/// next. No clock, no network: `ClaimStore` executes the decisions, tests feed inputs.
///
/// Safety comes from the object store's conditions, not from time: a create is `If-None-Match: *`,
/// every later write `If-Match` on the ETag this host last wrote, so at most one host moves a claim
/// at a time. Leases only decide liveness, and they compare the server's clock with itself.
public struct ClaimProtocol: Sendable, Equatable {
    /// The job's name.
    public var job: String
    /// The slot, as `ClaimKey.slotText`.
    public var slot: String
    /// This host's id.
    public var hostId: String
    /// This process's id.
    public var pid: Int32
    /// How long a claim stays live without renewal, in seconds.
    public var lease: TimeInterval

    /// Describes this host's side of a slot.
    public init(job: String, slot: String, hostId: String, pid: Int32, lease: TimeInterval) {
        self.job = job
        self.slot = slot
        self.hostId = hostId
        self.pid = pid
        self.lease = lease
    }

    /// How often the holder renews: a third of the lease, so two renewals may fail before it lapses.
    public var renewInterval: TimeInterval { lease / 3 }

    /// What to do after reading the slot's claim.
    public enum Decision: Sendable, Equatable {
        /// Nobody holds the slot: create this claim with `If-None-Match: *`.
        case create(ClaimRecord)
        /// The claim read is this host's own write (a retried request that had landed): hold it.
        case hold(ClaimRecord, etag: String)
        /// Another host holds a live claim, or finished the slot: record `claimed by HOST`, do nothing.
        case yield(to: String, state: ClaimState)
        /// The holder's lease ran out before the slot was done: replace its claim with `If-Match`
        /// on its ETag (fencing + 1) and run the slot from the start. `previous` is the stale
        /// claim's state: after `completing` the runner first looks for that slot's manifest.
        case takeOver(ClaimRecord, ifMatch: String, previous: ClaimRecord)
    }

    /// Decides from one read of the claim key: `existing` nil when there is no claim;
    /// `serverNow` the `Date` of that answer; `pending` the claim this host tried to write last
    /// (so an ambiguous retry that did land is recognised as ours).
    public func decide(existing: ClaimRecord?, etag: String?, serverNow: Date, pending: ClaimRecord? = nil) -> Decision {
        guard let existing, let etag else { return .create(initial(serverNow: serverNow)) }
        if let pending, existing == pending { return .hold(existing, etag: etag) }
        if existing.state == .done || existing.leaseExpiresAt > serverNow {
            return .yield(to: existing.hostId, state: existing.state)
        }
        var next = initial(serverNow: serverNow)
        next.fencing = existing.fencing + 1
        next.takenOverFrom = existing.hostId
        return .takeOver(next, ifMatch: etag, previous: existing)
    }

    /// The first claim of this host on the slot: fencing 1, running, lease from the server's clock.
    public func initial(serverNow: Date) -> ClaimRecord {
        let now = ClaimProtocol.wholeSeconds(serverNow)
        return ClaimRecord(
            job: job, slot: slot, hostId: hostId, pid: pid, startedAt: now, leaseExpiresAt: now + lease, fencing: 1, state: .running)
    }

    /// The held claim with its lease extended from the server's latest `Date` (written with `If-Match`).
    public func renewal(of held: ClaimRecord, serverNow: Date) -> ClaimRecord {
        var next = held
        next.leaseExpiresAt = ClaimProtocol.wholeSeconds(serverNow) + lease
        return next
    }

    /// The held claim moved to `completing` before the manifest (written with `If-Match`; a 412
    /// means the claim was lost and no manifest may be written).
    public func completing(_ held: ClaimRecord, serverNow: Date) -> ClaimRecord {
        var next = renewal(of: held, serverNow: serverNow)
        next.state = .completing
        return next
    }

    /// The held claim marked `done` after the run ended, so nobody takes the slot over.
    public func done(_ held: ClaimRecord) -> ClaimRecord {
        var next = held
        next.state = .done
        return next
    }

    /// Whether a held claim is due for renewal, `elapsed` seconds (monotonic, this host's) after
    /// its last successful write.
    public func renewalDue(elapsed: TimeInterval) -> Bool { elapsed >= renewInterval }

    /// Whole seconds: what the `Date` header and the claim's JSON carry, so a record compares
    /// equal to itself after a round trip through the bucket.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
