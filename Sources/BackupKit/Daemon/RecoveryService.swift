import Foundation
import Logging
import ServiceLifecycle

/// Crash recovery, after READY=1 and in the background: runs left `running` by a process that is
/// gone (never a live process's run) are reconciled with their destination: a run whose object
/// is complete is recorded as succeeded, any other marked `interrupted`; then open uploads of
/// finished runs are aborted (every destination's, for a run with several). Each destination is cleaned up on its own, within `timeout`, so one
/// that never answers delays only its own clean-up (retried at the next start).
struct RecoveryService: Service {
    let coordinator: RunCoordinator
    let timeout: Duration

    static let interruptedReason = "backupd stopped during this run (crash, kill or power loss); its upload was aborted at the next start"

    /// Cancellation (a stop, through `UntilShutdown`) leaves blocked calls behind, so it never holds up the stop.
    func run() async throws {
        let history = coordinator.history
        let logger = coordinator.logger
        let config = coordinator.config
        let me = ProcessOwner.current()
        let orphans: [RunRecord]
        do {
            orphans = try history.runningRunsWithOwners().filter { owned in
                guard let owner = owned.owner else { return true }
                return owner.pid != me.pid && !owner.isAlive
            }.map(\.run)
        } catch {
            logger.error("crash recovery failed: cannot read the running runs", metadata: ["error": "\(error)"])
            return
        }
        let now = coordinator.dependencies.clock.now()
        let lanes: [Int64: [DestinationUpload]]
        do {
            lanes = try history.destinationUploads(runIDs: orphans.map(\.id))
        } catch {
            logger.error("crash recovery failed: cannot read the running runs' destinations", metadata: ["error": "\(error)"])
            return
        }
        // A fan-out run is reconciled with all its destinations at once; its uploads are aborted below.
        await withDiscardingTaskGroup { group in
            for run in orphans {
                guard let rows = lanes[run.id], !rows.isEmpty else { continue }
                group.addTask {
                    await bounded("a fan-out run", metadata: ["run.id": "\(run.id)"]) { await reconcileFanOut(run, destinations: rows, at: now) }
                }
            }
        }
        var byDestination: [String: [RunRecord]] = [:]
        for run in orphans where lanes[run.id]?.isEmpty ?? true {
            if let name = run.destination, config.destination(named: name) != nil, run.objectKey != nil || run.uploadID != nil {
                byDestination[name, default: []].append(run)
            } else {
                interrupt(run, at: now)
            }
        }
        let openUploads = (try? history.uploadsToAbort()) ?? []
        for run in openUploads where run.destination.flatMap({ config.destination(named: $0) }) == nil {
            logger.warning("cannot abort an open upload: its destination is no longer configured", metadata: ["run.id": "\(run.id)", "s3.destination": "\(run.destination ?? "?")"])
        }
        let openLanes = (try? history.openDestinationUploads()) ?? []
        for lane in openLanes where config.destination(named: lane.destination) == nil {
            logger.warning("cannot abort an open upload: its destination is no longer configured", metadata: ["run.id": "\(lane.runID)", "s3.destination": "\(lane.destination)"])
        }
        let names = Set(byDestination.keys).union(openUploads.compactMap(\.destination)).union(openLanes.map(\.destination)).sorted()
        await withDiscardingTaskGroup { group in
            for name in names {
                guard let destination = config.destination(named: name) else { continue }
                let runs = byDestination[name] ?? []
                group.addTask {
                    await bounded("a destination", metadata: ["s3.destination": "\(name)"]) { await recover(runs, destination: destination, at: now) }
                }
            }
        }
    }

    /// Runs `body` within `timeout` (past it, `body` is cancelled); one that did not finish in time is logged.
    private func bounded(_ what: String, metadata: Logger.Metadata, _ body: @escaping @Sendable () async -> Void) async {
        if await TaskDeadline.run(timeout: timeout, reason: "crash recovery took longer than \(DurationText.format(timeout))", body) == nil {
            coordinator.logger.warning(
                "crash recovery of \(what) did not finish in time; retried at the next start",
                metadata: metadata.merging(["cleanup.timeout": "\(DurationText.format(timeout))"]) { $1 })
        }
    }

    private func interrupt(_ run: RunRecord, at time: Date) {
        do {
            if try coordinator.history.interrupt(runID: run.id, at: time, reason: Self.interruptedReason) {
                coordinator.logger.warning("run was interrupted by a crash", metadata: ["job.name": "\(run.job)", "run.id": "\(run.id)", "run.started_at": "\(run.startedAt)"])
            }
        } catch {
            coordinator.logger.error("cannot mark an interrupted run", metadata: ["run.id": "\(run.id)", "error": "\(error)"])
        }
    }

    /// Reconciles `runs` (orphans on `destination`), then aborts the destination's open uploads.
    private func recover(_ runs: [RunRecord], destination: DestinationConfig, at time: Date) async {
        let history = coordinator.history
        let logger = coordinator.logger
        let store: any BackupObjectStore
        do {
            store = try coordinator.dependencies.stores.store(for: destination, logger: logger)
        } catch {
            logger.error("crash recovery: cannot open the destination", metadata: ["s3.destination": "\(destination.name)", "error": "\(error)"])
            return
        }
        for run in runs {
            do {
                if let key = run.objectKey, let object = try await Self.completedObject(store: store, key: key, job: run.job) {
                    try history.reconcileSucceeded(runID: run.id, at: time, object: object)
                    logger.notice("a run's backup was complete although its end was not recorded; recorded as succeeded", metadata: [
                        "job.name": "\(run.job)", "run.id": "\(run.id)", "s3.key": "\(key)", "run.bytes": "\(object.size)"])
                    continue
                }
            } catch {
                logger.error("crash recovery: cannot check a run's object; retried at the next start", metadata: [
                    "run.id": "\(run.id)", "s3.key": "\(run.objectKey ?? "")", "error": "\(error)"])
                continue
            }
            interrupt(run, at: time)
        }
        let open: [RunRecord]
        do {
            open = try history.uploadsToAbort().filter { $0.destination == destination.name }
        } catch {
            logger.error("crash recovery: cannot read the open uploads", metadata: ["error": "\(error)"])
            return
        }
        for run in open {
            guard let uploadID = run.uploadID, let key = run.objectKey else { continue }
            await abortInterruptedUpload(
                key: key, uploadID: uploadID, destination: destination, store: store, at: time,
                metadata: ["run.id": "\(run.id)", "s3.key": "\(key)", "s3.upload_id": "\(uploadID)"]
            ) {
                try history.markUploadClosed(runID: run.id)
            }
        }
        await abortDestinationUploads(at: destination, store: store, at: time)
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
        return StoredObject(key: key, size: entry.size, metadata: ["sha256": entry.sha256])
    }
}
