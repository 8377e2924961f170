import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Takes a `runOn: "any"` backup under the claim this host won: renews the lease every third of
/// it while the backup runs, lets the runner re-validate the claim before its manifest (through
/// `ClaimFence.current`), marks the slot done at the end. A run whose claim was taken over is
/// stopped (its uploads abort) and ends as `claimed`: `lost its claim to HOST`.
public struct FencedExecutor: BackupExecutor {
    /// What takes the backup.
    public let base: any BackupExecutor
    /// The claim the run holds.
    public let fence: ClaimFence
    /// How long a claim stays live without renewal.
    public let lease: Duration
    /// How the renewal loop waits (tests pass a fast one).
    public let sleep: @Sendable (Duration) async throws -> Void

    /// Fences `base`'s run with `fence`, renewing every `lease / 3`.
    public init(
        base: any BackupExecutor, fence: ClaimFence, lease: Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.base = base
        self.fence = fence
        self.lease = lease
        self.sleep = sleep
    }

    public func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await fenced(logger: logger) {
            await base.execute(job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
        }
    }

    public func execute(
        run: RunIdentity, job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await fenced(logger: logger) {
            await base.execute(run: run, job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
        }
    }

    /// Runs `body` with the fence in force and the renewal loop beside it; a lost claim records
    /// itself as the body's `StopReason`, then cancels it.
    private func fenced(logger: Logger, _ body: @escaping @Sendable () async -> RunOutcome) async -> RunOutcome {
        var log = logger
        log[metadataKey: "claim.slot"] = "\(fence.record.slot)"
        log[metadataKey: "claim.fencing"] = "\(fence.record.fencing)"
        let renewals = log
        let stop = StopReason(within: StopReason.current)
        let outcome = await withTaskGroup(of: RunOutcome?.self) { group in
            group.addTask { [fence, lease, sleep] in
                await Self.keepRenewing(fence, every: lease / 3, sleep: sleep, stop: stop, logger: renewals)
                return nil
            }
            group.addTask { [fence] in
                await StopReason.$current.withValue(stop) { await ClaimFence.$current.withValue(fence) { await body() } }
            }
            var result: RunOutcome?
            for await finished in group {
                if let finished { result = finished }
                // The run ended (the renewals stop), or the renewals did at a lost claim (the run stops).
                if finished != nil || fence.lost != nil { group.cancelAll() }
            }
            return result!
        }
        if let lost = fence.lost { return Self.lostOutcome(outcome, lost: lost) }
        do {
            try await fence.finish()
        } catch {
            // The run is over; a slot left `running` or `completing` is only taken over after its lease.
            log.warning("could not mark the slot done", metadata: ["claim.error": "\(error)"])
            if let lost = fence.lost { return Self.lostOutcome(outcome, lost: lost) }
        }
        return outcome
    }

    /// Renews until cancelled; returns at a loss, which it first records in `stop` (the caller then
    /// stops the run: its uploads abort, no manifest).
    static func keepRenewing(
        _ fence: ClaimFence, every interval: Duration, sleep: @Sendable (Duration) async throws -> Void, stop: StopReason,
        logger: Logger
    ) async {
        while true {
            do {
                try await sleep(interval)
            } catch {
                return
            }
            if Task.isCancelled { return }
            do {
                try await fence.renew()
                logger.debug("claim renewed")
            } catch let error as ClaimError {
                if case .lostClaim = error {
                    stop.set(error.description)
                    return
                }
                logger.warning("claim renewal failed, trying again", metadata: ["claim.error": "\(error)"])
            } catch {
                if Task.isCancelled { return }
                // A network failure: the lease runs out only after two more missed renewals.
                logger.warning("claim renewal failed, trying again", metadata: ["claim.error": "\(error)"])
            }
        }
    }

    /// The outcome of a run whose claim was taken over: `claimed`, naming the new holder.
    static func lostOutcome(_ outcome: RunOutcome, lost: ClaimError) -> RunOutcome {
        var result = outcome
        result.status = .claimed
        let host: String
        if case .lostClaim(let to, _, _) = lost { host = to } else { host = "another host" }
        result.error = "lost its claim to \(host): \(lost.description)"
        return result
    }
}
