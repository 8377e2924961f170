import BackupCore
import Foundation
import Logging

/// Executes `ClaimProtocol`'s decisions against a destination: claims a slot, renews the lease,
/// re-validates before the manifest and marks the slot done. One instance per host (its id and pid).
public struct ClaimStore: Sendable {
    /// A claim this host holds: the record, where it is, and the ETag its next `If-Match` names.
    public struct Held: Sendable, Equatable {
        /// The claim object's key.
        public var key: String
        /// What this host last wrote.
        public var record: ClaimRecord
        /// The ETag of that write.
        public var etag: String
        /// The server's `Date` of the last answer about this claim.
        public var serverDate: Date
        /// The stale claim this one replaced, after a takeover (nil otherwise).
        public var previous: ClaimRecord? = nil
    }

    /// How claiming a slot ended.
    public enum Outcome: Sendable, Equatable {
        /// This host runs the slot (`record.takenOverFrom` set when it took an expired claim over).
        case won(Held)
        /// Another host holds a live claim, or finished the slot: record `claimed by HOST`.
        case claimedBy(host: String, state: ClaimState)
    }

    let store: any ConditionalObjectStore
    let prefix: String
    let hostId: String
    let pid: Int32
    let lease: TimeInterval
    let logger: Logger
    /// Reads before giving up when other hosts keep changing the claim.
    let attempts = 4

    /// A store for this host; `prefix` is the destination's key prefix.
    public init(store: any ConditionalObjectStore, prefix: String, hostId: String, pid: Int32, lease: TimeInterval, logger: Logger) {
        self.store = store
        self.prefix = prefix
        self.hostId = hostId
        self.pid = pid
        self.lease = lease
        self.logger = logger
    }

    /// The decisions for `job` and `slot` on this host.
    public func decisions(job: String, slot: Date) -> ClaimProtocol {
        ClaimProtocol(job: job, slot: ClaimKey.slotText(slot), hostId: hostId, pid: pid, lease: lease)
    }

    /// Claims `slot` of `job`: creates the claim, takes an expired one over, or yields to a live one.
    public func claim(job: String, slot: Date) async throws -> Outcome {
        let rules = decisions(job: job, slot: slot)
        let key = ClaimKey.key(prefix: prefix, job: job, slot: slot)
        return try await acquire(key: key, rules: rules, decide: rules.decide) { host, state in
            logger.info("slot claimed by another host", metadata: meta(key, rules, ["claim.holder": "\(host)", "claim.state": "\(state)"]))
        } tookOver: { record, previous in
            logger.notice(
                "took over an expired claim", metadata: meta(key, rules, [
                    "claim.previous_holder": "\(previous.hostId)", "claim.previous_state": "\(previous.state)",
                    "claim.fencing": "\(record.fencing)",
                ]))
        }
    }

    /// The claim loop every claim goes through: reads the claim at `key`, applies `decide`, and
    /// creates (`If-None-Match: *`) or takes over (`If-Match` on the stale ETag) as it says, again
    /// after a lost race; `yielded` and `tookOver` report what happened.
    func acquire(
        key: String, rules: ClaimProtocol,
        decide: (_ existing: ClaimRecord?, _ etag: String?, _ serverNow: Date, _ pending: ClaimRecord?) -> ClaimProtocol.Decision,
        yielded: (_ host: String, _ state: ClaimState) -> Void,
        tookOver: (_ record: ClaimRecord, _ previous: ClaimRecord) -> Void
    ) async throws -> Outcome {
        var pending: ClaimRecord?
        for _ in 0..<attempts {
            let (existing, etag, serverNow) = try await read(key)
            switch decide(existing, etag, serverNow, pending) {
            case .hold(let record, let etag):
                return .won(Held(key: key, record: record, etag: etag, serverDate: serverNow))
            case .yield(let host, let state):
                yielded(host, state)
                return .claimedBy(host: host, state: state)
            case .create(let record):
                pending = record
                do {
                    let written = try await store.createObjectStrictly(key: key, body: record.encoded(), contentType: "application/json")
                    return .won(Held(key: key, record: record, etag: written.etag, serverDate: written.serverDate ?? serverNow))
                } catch ObjectStoreError.alreadyExists {
                    continue
                }
            case .takeOver(let record, let stale, let previous):
                pending = record
                do {
                    let written = try await store.replaceObject(key: key, ifMatch: stale, body: record.encoded(), contentType: "application/json")
                    tookOver(record, previous)
                    return .won(Held(key: key, record: record, etag: written.etag, serverDate: written.serverDate ?? serverNow, previous: previous))
                } catch ObjectStoreError.preconditionFailed {
                    continue
                }
            }
        }
        throw ClaimError.contended(key: key, attempts: attempts)
    }

    /// Extends the lease of a held claim (`If-Match` on its ETag); throws `ClaimError.lostClaim`
    /// when another host took it over.
    public func renew(_ held: Held) async throws -> Held {
        try await advance(held) { rules, serverNow in rules.renewal(of: held.record, serverNow: serverNow) }
    }

    /// Re-validates a held claim before the manifest by moving it to `completing`; throws
    /// `ClaimError.lostClaim` (write no manifest) when another host took it over.
    public func complete(_ held: Held) async throws -> Held {
        try await advance(held) { rules, serverNow in rules.completing(held.record, serverNow: serverNow) }
    }

    /// Records the backup id of the held slot's run before its first upload (lease extended too);
    /// throws `ClaimError.lostClaim` when another host took the slot over (upload nothing).
    public func begin(_ held: Held, backupId: String) async throws -> Held {
        try await advance(held) { rules, serverNow in
            var next = rules.renewal(of: held.record, serverNow: serverNow)
            next.backupId = backupId
            return next
        }
    }

    /// Marks the slot done after its run ended, so no host takes it over.
    public func finish(_ held: Held) async throws -> Held {
        try await advance(held) { rules, _ in rules.done(held.record) }
    }

    /// Reads the claim, checks it is still the one this host wrote, writes `next` with `If-Match`.
    /// A 412 whose re-read shows `next` itself was a retried request that had landed: still held.
    func advance(_ held: Held, _ next: (ClaimProtocol, Date) -> ClaimRecord) async throws -> Held {
        let rules = ClaimProtocol(job: held.record.job, slot: held.record.slot, hostId: hostId, pid: pid, lease: lease)
        let (current, etag, serverNow) = try await read(held.key)
        guard etag == held.etag else { throw lost(held, to: current) }
        let record = next(rules, serverNow)
        do {
            let written = try await store.replaceObject(key: held.key, ifMatch: held.etag, body: record.encoded(), contentType: "application/json")
            return Held(key: held.key, record: record, etag: written.etag, serverDate: written.serverDate ?? serverNow)
        } catch ObjectStoreError.preconditionFailed {
            let (again, againTag, againNow) = try await read(held.key)
            if let againTag, again == record { return Held(key: held.key, record: record, etag: againTag, serverDate: againNow) }
            throw lost(held, to: again)
        }
    }

    /// The loss of `held` to whoever holds the claim now (logged: the losing side of a takeover).
    private func lost(_ held: Held, to current: ClaimRecord?) -> ClaimError {
        let winner = current?.hostId ?? "nobody (the claim object was deleted)"
        logger.warning(
            "lost the claim to another host", metadata: [
                "claim.key": "\(held.key)", "job.name": "\(held.record.job)", "claim.slot": "\(held.record.slot)",
                "claim.holder": "\(winner)", "claim.fencing": "\(current?.fencing ?? 0)",
            ])
        return .lostClaim(to: winner, job: held.record.job, slot: held.record.slot)
    }

    /// The claim at `key` (nil when none), its ETag and the server's `Date` of the answer.
    func read(_ key: String) async throws -> (ClaimRecord?, String?, Date) {
        let read = try await store.readVersioned(key: key)
        guard let serverNow = read.serverDate else { throw ClaimError.noServerDate(key: key) }
        guard let etag = read.etag else { return (nil, nil, serverNow) }
        return (try ClaimRecord.decode(read.body, key: key), etag, serverNow)
    }

    func meta(_ key: String, _ rules: ClaimProtocol, _ extra: Logger.Metadata) -> Logger.Metadata {
        extra.merging(["claim.key": "\(key)", "job.name": "\(rules.job)", "claim.slot": "\(rules.slot)", "host.id": "\(hostId)"]) { a, _ in a }
    }
}
