import BackupCore
import ConfigKit
import Foundation
import Logging
import S3Kit
import ServiceLifecycle

/// Decides, before a `runOn: "any"` slot's run, whether this host runs it: claims the slot in the
/// job's first destination; while another host holds it, watches the claim until that host marks
/// it done (this host then records `claimed by HOST`) or its lease runs out (this host takes over
/// and runs the slot from the start).
public struct SlotClaimer: Sendable {
    /// What became of the slot on this host.
    public enum Decision: Sendable {
        /// This host runs the slot under `fence`.
        case run(ClaimFence)
        /// Another host ran the slot (or runs it past this host's stop).
        case claimedBy(host: String)
        /// The claim could not be decided (the bucket unreachable, a malformed claim): the slot
        /// is recorded as failed on this host with `reason`.
        case failed(reason: String)
    }

    /// Opens the conditional store of a destination (live: an `S3Client`).
    public var openStore: @Sendable (DestinationConfig, Logger) -> any ConditionalObjectStore
    /// How the watch waits between reads.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// This process's id, written into claims.
    public var pid: Int32
    /// Failed reads in a row after which a watch gives up.
    public var watchFailures = 3
    /// The host whose manifest for a slot (`ClaimKey.slotText`) of the job is in the bucket, if any:
    /// asked after a takeover, since the stale holder may have written its manifest and died
    /// before marking the slot done (nil: not asked).
    public var backupOfSlot: (@Sendable (JobConfig, BackupConfig, String) async throws -> String?)?
    /// Probes destinations whose provider profile says "probe first" before their first claim (nil: trusted).
    public var probes: ConditionalProbeCache?
    /// After a takeover, aborts the stale holder's open multipart uploads at every destination of
    /// the job (nil: left to the sweep of day-old uploads).
    public var staleUploads: StaleRunUploads?

    /// A claimer over `openStore`.
    public init(
        openStore: @escaping @Sendable (DestinationConfig, Logger) -> any ConditionalObjectStore,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, pid: Int32 = getpid()
    ) {
        self.openStore = openStore
        self.sleep = sleep
        self.pid = pid
    }

    /// The live claimer: claims go over S3 to the job's first destination.
    public static let live: SlotClaimer = {
        var claimer = SlotClaimer(openStore: { destination, logger in S3Client(destination: destination, logger: logger) })
        claimer.probes = .live()
        claimer.staleUploads = .live
        claimer.backupOfSlot = { job, config, slot in
            guard let destination = config.destination(named: job.destination) else { return nil }
            let store = S3ObjectStore(destination: destination, logger: Logger(label: "backupd.fleet"))
            let entries = try await BackupCatalog(store: store, job: job).entries()
            return entries.first { $0.manifest?.claim?.slot == slot }?.manifest?.claim?.hostId
        }
        return claimer
    }()

    /// The claim store of `job` on this host (nil, with the reason, when the job cannot have claims).
    public func claims(job: JobConfig, config: BackupConfig, logger: Logger) -> (ClaimStore?, String?) {
        guard let hostId = config.hostId else {
            return (nil, "job \(job.name) runs on any host but this host has no id; set the top-level \"hostId\"")
        }
        guard let first = job.destinations.first, let destination = config.destination(named: first) else {
            return (nil, "job \(job.name) has no destination to keep its claims in")
        }
        let lease = TimeInterval(config.claimLease.components.seconds)
        let store = ClaimStore(
            store: openStore(destination, logger), prefix: job.prefix, hostId: hostId, pid: pid, lease: lease, logger: logger)
        return (store, nil)
    }

    /// Claims `slot` of `job` for this host, watching another host's live claim to its end.
    /// A watch ends early when the daemon begins to stop (its graceful shutdown), and once `now()`
    /// reaches `watchUntil` (just before the job's next slot, which must not be skipped because
    /// this host still watches an older one: that older slot is then left to its holder).
    public func claim(
        job: JobConfig, config: BackupConfig, slot: Date, watchUntil: Date? = nil,
        now: @Sendable () -> Date = { Date() }, logger: Logger
    ) async -> Decision {
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        log[metadataKey: "claim.slot"] = "\(ClaimKey.slotText(slot))"
        let (found, reason) = claims(job: job, config: config, logger: log)
        guard let claims = found else { return .failed(reason: reason ?? "no claim store") }
        if let probes, let destination = config.destination(named: job.destination),
            let unsafe = await probes.unsafeReason(destination, folder: ClaimKey.folder(prefix: job.prefix, job: job.name), logger: log)
        {
            return .failed(
                reason: "job \(job.name) runs on any host, but destination \(destination.name) failed the conditional-write probe (\(unsafe)); "
                    + "claims there would not be atomic, so the slot was not run; use a provider with conditional writes, or runOn \"this\"")
        }
        let interval = config.claimLease / 3
        var failures = 0
        var watched: String?
        while true {
            do {
                switch try await claims.claim(job: job.name, slot: slot) {
                case .won(let held):
                    let fence = ClaimFence(claims: claims, held: held)
                    if let from = held.record.takenOverFrom {
                        log.notice("took the slot over", metadata: ["claim.previous_holder": "\(from)", "claim.fencing": "\(held.record.fencing)"])
                        if let host = try await backupOfSlot?(job, config, held.record.slot) {
                            // The stale holder finished the backup but not its claim: the slot is done.
                            log.notice("the slot was backed up before the takeover", metadata: ["claim.previous_holder": "\(host)"])
                            try await fence.finish()
                            return .claimedBy(host: host)
                        }
                        if let previous = held.previous {
                            // The stale holder can no longer complete (the claim moved on): its open uploads only cost.
                            await staleUploads?.abort(job: job, config: config, previous: previous, logger: log)
                        }
                    }
                    return .run(fence)
                case .claimedBy(let host, .done):
                    return .claimedBy(host: host)
                case .claimedBy(let host, _):
                    if watched != host {
                        log.info("another host runs the slot; watching its lease", metadata: ["claim.holder": "\(host)"])
                        watched = host
                    }
                    failures = 0
                }
            } catch {
                failures += 1
                let text = "the claim on slot \(ClaimKey.slotText(slot)) of job \(job.name) could not be decided: \(error)"
                guard watched != nil, failures < watchFailures else { return .failed(reason: text) }
                log.warning("reading the claim failed, trying again", metadata: ["claim.error": "\(error)"])
            }
            // In steps of at most a second, so a stopping daemon is not held by a watch.
            var left = interval
            while left > .zero {
                let step = min(left, .seconds(1))
                do {
                    try await sleep(step)
                } catch {
                    left = .zero
                }
                left -= step
                if Task.isShuttingDownGracefully || Task.isCancelled || watchUntil.map({ now() >= $0 }) == true {
                    // Stopping while another host holds the slot: that host runs it.
                    return .claimedBy(host: watched ?? "another host")
                }
            }
        }
    }
}
