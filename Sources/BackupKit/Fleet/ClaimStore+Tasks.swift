import BackupCore
import Foundation
import Logging

extension ClaimStore {
    /// Claims one of `job`'s maintenance tasks (`prune`, `sweep`) at `ClaimKey.taskKey`: creates
    /// the claim, takes a done or expired one again with `If-Match`, or yields to a live one.
    /// The claim is held like a slot's (`renew`, then `finish` marks it done).
    public func claimTask(job: String, task: String) async throws -> Outcome {
        let rules = ClaimProtocol(job: job, slot: task, hostId: hostId, pid: pid, lease: lease)
        let key = ClaimKey.taskKey(prefix: prefix, job: job, task: task)
        var pending: ClaimRecord?
        for _ in 0..<attempts {
            let (existing, etag, serverNow) = try await read(key)
            switch rules.decideTask(existing: existing, etag: etag, serverNow: serverNow, pending: pending) {
            case .hold(let record, let etag):
                return .won(Held(key: key, record: record, etag: etag, serverDate: serverNow))
            case .yield(let host, let state):
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
                    if previous.state != .done {
                        logger.notice(
                            "took over an expired \(task) claim", metadata: meta(key, rules, [
                                "claim.previous_holder": "\(previous.hostId)", "claim.previous_state": "\(previous.state)",
                                "claim.fencing": "\(record.fencing)",
                            ]))
                    }
                    return .won(Held(key: key, record: record, etag: written.etag, serverDate: written.serverDate ?? serverNow))
                } catch ObjectStoreError.preconditionFailed {
                    continue
                }
            }
        }
        throw ClaimError.contended(key: key, attempts: attempts)
    }
}
