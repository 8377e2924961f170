import BackupCore
import ConfigKit
import Foundation
import Logging
import S3Kit

/// Runs a `runOn: "any"` job's maintenance (its prune, its stale-upload sweep) under a short claim
/// of its own in the job's first destination (`ClaimKey.taskKey`, same conditional writes as a
/// slot's claim), so two hosts never do it for one job at once. Other jobs run it unclaimed.
public struct JobTaskClaimer: Sendable {
    /// The maintenance tasks that take a claim.
    public enum Kind: String, Sendable, CaseIterable {
        /// Retention's prune after a backup (and the deletion of old slot claims).
        case prune
        /// The sweep of stale multipart uploads.
        case sweep
    }

    /// Opens the conditional store of a destination (live: an `S3Client`).
    public var openStore: @Sendable (DestinationConfig, Logger) -> any ConditionalObjectStore
    /// How the renewal waits between renewals.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// This process's id, written into claims.
    public var pid: Int32
    /// Probes destinations whose provider profile says "probe first" before their first claim
    /// (nil: trusted); one that fails gets no claim, so the prune or sweep is skipped.
    public var probes: ConditionalProbeCache?
    /// A monotonic clock for the watch's lapse check (`TaskClaimWatch`).
    public var monotonic: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }

    /// A claimer over `openStore` (built as a slot claimer's is, without probes).
    public init(
        openStore: @escaping @Sendable (DestinationConfig, Logger) -> any ConditionalObjectStore,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, pid: Int32 = getpid()
    ) {
        self.init(sharing: SlotClaimer(openStore: openStore, pid: pid), sleep: sleep)
    }

    /// The live claimer: claims go over S3 to the job's first destination, as slot claims do.
    public static let live = JobTaskClaimer(sharing: .live)

    /// The claimer sharing a slot claimer's stores, pid and probes (the daemon's, so tests' fakes
    /// serve both); its renewals wait with `sleep`.
    public init(sharing claimer: SlotClaimer, sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        openStore = claimer.openStore
        self.sleep = sleep
        pid = claimer.pid
        probes = claimer.probes
    }

    /// What `claimed` did.
    public enum Outcome<T: Sendable>: Sendable {
        /// `body` ran (under the claim for a `runOn: "any"` job) and returned this.
        case ran(T)
        /// Another host (or process) holds a live claim: `body` did not run.
        case heldBy(host: String, state: String)
        /// The claim could not be taken or decided (the reason): `body` did not run.
        case notTaken(String)
    }

    /// Runs `body` for `job`: at once for a job that is not `runOn: "any"`; else only while this
    /// host holds the job's `task` claim, renewed every third of the lease and marked done after.
    /// Returns nil, without running `body`, when another host holds a live claim (an info line
    /// names it) or the claim could not be decided (a warning says why; the next time retries).
    public func withClaim<T: Sendable>(
        _ task: Kind, job: JobConfig, config: BackupConfig, logger: Logger, _ body: () async -> T
    ) async -> T? {
        if case .ran(let result) = await claimed(task, job: job, config: config, logger: logger, body) { return result }
        return nil
    }

    /// `withClaim`, telling why `body` did not run: the holder of a live claim, or the reason the
    /// claim could not be taken.
    public func claimed<T: Sendable>(
        _ task: Kind, job: JobConfig, config: BackupConfig, logger: Logger, _ body: () async -> T
    ) async -> Outcome<T> {
        await claimed(task, job: job, config: config, logger: logger) { (_: TaskClaimWatch) in await body() }
    }

    /// `claimed`, handing `body` the claim's watch: when a renewal finds the claim taken over by
    /// another host (412), the watch is marked lost (an error names that host) and stores guarded
    /// by it (`ClaimGuardedStoreProvider`) refuse every later delete, so `body` stops deleting.
    /// A job that is not `runOn: "any"` gets a watch that is never lost.
    public func claimed<T: Sendable>(
        _ task: Kind, job: JobConfig, config: BackupConfig, logger: Logger, _ body: (TaskClaimWatch) async -> T
    ) async -> Outcome<T> {
        let watch = TaskClaimWatch(task: task, job: job.name, now: monotonic)
        guard job.runOn == .any else { return .ran(await body(watch)) }
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        log[metadataKey: "claim.task"] = "\(task.rawValue)"
        guard let hostId = config.hostId, let first = job.destinations.first, let destination = config.destination(named: first) else {
            log.warning("the job's \(task.rawValue) claim cannot be taken (no host id or no destination); skipping it on this host")
            return .notTaken("no host id or no destination to hold the claim")
        }
        if let probes, let unsafe = await probes.unsafeReason(destination, folder: ClaimKey.folder(prefix: job.prefix, job: job.name), logger: log) {
            log.warning(
                "the job's \(task.rawValue) claim cannot be taken: the destination failed the conditional-write probe; skipping it on this host",
                metadata: ["s3.destination": "\(destination.name)", "probe.reason": "\(unsafe)"])
            return .notTaken("destination \(destination.name) failed the conditional-write probe: \(unsafe)")
        }
        let lease = config.claimLease
        let claims = ClaimStore(
            store: openStore(destination, log), prefix: job.prefix, hostId: hostId, pid: pid, lease: TimeInterval(lease.components.seconds),
            logger: log)
        let held: ClaimStore.Held
        do {
            switch try await claims.claimTask(job: job.name, task: task.rawValue) {
            case .won(let won):
                held = won
            case .claimedBy(let host, let state):
                log.info(
                    "another host holds the job's \(task.rawValue) claim; skipping it on this host",
                    metadata: ["claim.holder": "\(host)", "claim.state": "\(state)"])
                return .heldBy(host: host, state: "\(state)")
            }
        } catch {
            log.warning("the job's \(task.rawValue) claim could not be decided; skipping it on this host", metadata: ["error": "\(error)"])
            return .notTaken("the claim could not be decided: \(error)")
        }
        watch.held(lease: lease)
        let sleep = self.sleep
        let renewLog = log
        let (result, last) = await withTaskGroup(of: ClaimStore.Held?.self) { group -> (T, ClaimStore.Held?) in
            group.addTask {
                var current = held
                while true {
                    do { try await sleep(lease / 3) } catch { return current }
                    if Task.isCancelled { return current }
                    do {
                        current = try await claims.renew(current)
                        watch.held(lease: lease)
                    } catch ClaimError.lostClaim(let host, _, _) {
                        watch.lose(to: host)
                        renewLog.error(
                            "another host took the job's \(task.rawValue) claim over; stopping before the next delete",
                            metadata: ["claim.holder": "\(host)"])
                        return nil
                    } catch {
                        renewLog.warning("renewing the job's \(task.rawValue) claim failed; trying again", metadata: ["error": "\(error)"])
                    }
                }
            }
            let result = await body(watch)
            group.cancelAll()
            var last: ClaimStore.Held? = nil
            for await renewed in group { last = renewed }
            return (result, last)
        }
        if let last {
            // Clean-up: sent even when the caller was cancelled (a signal to `backupd prune`), for 5 s at most.
            let failed = await TaskDeadline.uncancelled(timeout: .seconds(5), reason: "marking the claim done took over 5 s") { () -> String? in
                do { _ = try await claims.finish(last) } catch { return "\(error)" }
                return nil
            } ?? "marking the claim done took over 5 s"
            if let failed {
                log.warning("cannot mark the job's \(task.rawValue) claim done; its lease runs out instead", metadata: ["error": "\(failed)"])
            }
        }
        return .ran(result)
    }
}
