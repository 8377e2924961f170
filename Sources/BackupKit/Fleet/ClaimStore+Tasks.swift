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
        return try await acquire(key: key, rules: rules, decide: rules.decideTask) { _, _ in
        } tookOver: { record, previous in
            guard previous.state != .done else { return }
            logger.notice(
                "took over an expired \(task) claim", metadata: meta(key, rules, [
                    "claim.previous_holder": "\(previous.hostId)", "claim.previous_state": "\(previous.state)",
                    "claim.fencing": "\(record.fencing)",
                ]))
        }
    }
}
