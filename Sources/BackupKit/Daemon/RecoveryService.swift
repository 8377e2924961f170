import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging
import ServiceLifecycle

/// Crash recovery, after READY=1 and in the background, one path for every run whatever its
/// number of destinations: a run left `running` by a process that is gone (never a live process's
/// run) is reconciled lane by lane (stored where its backup is complete, else interrupted) and
/// recorded: succeeded at every lane, partial at some, interrupted at none. Then the uploads its
/// other lanes left open, and those of any run that ended with one open, are handed to the
/// pending-abort ledger and aborted from there. Each run and each destination is dealt with on its
/// own, within `timeout`, so one that never answers delays only its own clean-up (retried at the
/// next start, or by the upload sweeper).
struct RecoveryService: Service {
    let history: HistoryStore
    let configs: ConfigStore
    let stores: any ObjectStoreProvider
    let clock: any WallClock
    let timeout: Duration
    let logger: Logger

    static let interruptedReason = "backupd stopped during this run (crash, kill or power loss); its upload was aborted at the next start"

    /// Cancellation (a stop, through `UntilShutdown`) leaves blocked calls behind, so it never holds up the stop.
    func run() async throws {
        let config = configs.current
        let me = ProcessOwner.current()
        let orphans: [RunRecord]
        let lanes: [Int64: [DestinationUpload]]
        do {
            orphans = try history.runningRunsWithOwners().filter { owned in
                guard let owner = owned.owner else { return true }
                return owner.pid != me.pid && !owner.isAlive
            }.map(\.run)
            lanes = try history.destinationUploads(runIDs: orphans.map(\.id))
        } catch {
            logger.error("crash recovery failed: cannot read the running runs", metadata: ["error": "\(error)"])
            return
        }
        let now = clock.now()
        // 1. What each orphan's lanes hold; a run with a lane that cannot be checked is left for the next start.
        let results = await withTaskGroup(of: (Int64, [Int: DestinationOutcome]?).self) { group in
            for run in orphans {
                let rows = lanes[run.id] ?? []
                group.addTask {
                    let found = await bounded("a run", metadata: ["run.id": "\(run.id)"]) { await checkLanes(run, lanes: rows) }
                    return (run.id, found ?? nil)
                }
            }
            var results: [Int64: [Int: DestinationOutcome]] = [:]
            for await (id, found) in group { results[id] = found }
            return results
        }
        // 2. Record each reconciled run: its lanes that do not hold the backup keep their uploads open.
        for run in orphans {
            guard let found = results[run.id] else { continue }
            record(run, results: found, lanes: lanes[run.id] ?? [], at: now)
        }
        // 3. Every upload left open by a run that ended goes to the ledger, the one abort source.
        let handed = handOver((try? history.openDestinationUploads()) ?? [], config: config, at: now)
        // 4. Abort what was handed over, destination by destination.
        await withDiscardingTaskGroup { group in
            for (name, uploads) in Dictionary(grouping: handed, by: \.destination) {
                guard let destination = config.destination(named: name) else { continue }
                group.addTask {
                    await bounded("a destination", metadata: ["s3.destination": "\(name)"]) {
                        await abortPending(uploads, destination: destination)
                    }
                }
            }
        }
    }

    /// Runs `body` within `timeout` (cancelled past it); one that did not finish in
    /// time is logged and gives nil.
    @discardableResult
    private func bounded<T: Sendable>(_ what: String, metadata: Logger.Metadata, _ body: @escaping @Sendable () async -> T) async -> T? {
        let result = await TaskDeadline.run(timeout: timeout, reason: "crash recovery took longer than \(DurationText.format(timeout))", body)
        if result == nil {
            logger.warning(
                "crash recovery of \(what) did not finish in time; retried at the next start",
                metadata: metadata.merging(["cleanup.timeout": "\(DurationText.format(timeout))"]) { $1 })
        }
        return result
    }

    /// Hands `open` lane uploads to the pending-abort ledger (those of a destination no longer
    /// configured stay open, with a warning) and returns what the ledger now holds for them.
    private func handOver(_ open: [DestinationUpload], config: BackupConfig, at time: Date) -> [PendingAbort] {
        var known: [DestinationUpload] = []
        for lane in open {
            if config.destination(named: lane.destination) == nil {
                logger.warning("cannot abort an open upload: its destination is no longer configured", metadata: [
                    "run.id": "\(lane.runID)", "s3.destination": "\(lane.destination)"])
            } else {
                known.append(lane)
            }
        }
        do {
            return try history.handOverUploads(
                known, bucket: { config.destination(named: $0.destination)?.bucket }, at: time,
                reason: "left open by a run that did not end (abort not tried yet)")
        } catch {
            logger.error("crash recovery: cannot hand the open uploads to the pending aborts; retried at the next start", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// The run's object when it belongs to a complete backup: its manifest, written only once
    /// every object is stored, exists and lists it (size and SHA-256 from the manifest). A backup
    /// written before manifests is complete when its object carries the SHA-256 recorded last.
    static func completedObject(store: any BackupObjectStore, key: String, job: String) async throws -> StoredObject? {
        let prefix = key.lastIndex(of: "/").map { String(key[..<$0]) } ?? ""
        guard let parsed = ObjectName.parse(key, prefix: prefix, job: job), parsed.token != nil else {
            guard let object = try await store.head(key: key), object.metadata["sha256"]?.isEmpty == false else { return nil }
            return object
        }
        let manifestKey = ObjectName.manifestKey(prefix: prefix, backupID: parsed.backupID)
        guard try await store.head(key: manifestKey) != nil else { return nil }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.parse(try await store.read(key: manifestKey), key: manifestKey)
        } catch is ManifestError {
            return nil
        }
        guard let entry = manifest.objects.first(where: { $0.key == key || $0.pieces.contains { $0.key == key } }) else { return nil }
        return StoredObject(key: key, size: entry.size, metadata: ["sha256": entry.digest])
    }
}
