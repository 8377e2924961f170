import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

extension BackupRunner {
    /// One destination of a run: its store and, once it dropped out, why.
    struct Lane {
        var destination: DestinationConfig
        var store: (any BackupObjectStore)?
        var error: String?
        var manifestKey: String?

        var alive: Bool { error == nil }
    }

    /// Opens every destination; a destination that cannot be opened starts out failed.
    func openLanes(_ destinations: [DestinationConfig], logger: Logger) -> [Lane] {
        destinations.map { destination in
            var log = logger
            log[metadataKey: "s3.destination"] = "\(destination.name)"
            do {
                return Lane(destination: destination, store: try stores.store(for: destination, logger: log))
            } catch {
                return Lane(destination: destination, store: nil, error: "cannot open destination \(destination.name): \(error)")
            }
        }
    }

    /// Writes each live lane's manifest, naming the other lanes' copies; a lane whose manifest
    /// cannot be stored drops out (its objects are removed by `writeManifest`).
    func writeManifests(
        _ lanes: inout [Lane], run: RunIdentity?, job: JobConfig, startedAt: Date, token: String, toolVersion: String,
        serverVersion: String?, results: [StepResult], suspicious: String? = nil, logger: Logger
    ) async {
        let backupID = ObjectName.backupID(job: job.name, time: startedAt, token: token)
        let manifestKey = ObjectName.manifestKey(prefix: job.prefix, backupID: backupID)
        let stored = lanes.filter(\.alive).map(\.destination)
        let (claim, refusal) = await revalidateClaim(logger: logger)
        for index in lanes.indices where lanes[index].alive {
            let destination = lanes[index].destination
            let own = results.map { result -> StepResult in
                var mine = result
                if let receipt = result.receipts[destination.name] { mine.receipt = receipt }
                return mine
            }
            var manifest = makeManifest(
                run: run, job: job, destination: destination, startedAt: startedAt, token: token, toolVersion: toolVersion,
                serverVersion: serverVersion, results: own)
            manifest.suspicious = suspicious
            if let claim {
                manifest.claim = claim
                manifest.host = claim.hostId
            }
            if let refusal {
                // No manifest without the claim: the objects it would have named go too.
                try? await lanes[index].store!.delete(keys: manifest.dataKeys)
                lanes[index].error = refusal
                continue
            }
            manifest.copies = stored.filter { $0.name != destination.name }.map {
                BackupManifest.Copy(destination: $0.name, bucket: $0.bucket, manifestKey: manifestKey)
            }
            do {
                try await writeManifest(manifest, job: job, store: lanes[index].store!, logger: logger)
                lanes[index].manifestKey = manifestKey
            } catch {
                lanes[index].error = "\(error)"
            }
        }
    }

    /// The run's outcome from its lanes after every step: succeeded at all, partial at some, else failed.
    func outcome(
        lanes: [Lane], job: JobConfig, results: [StepResult], totalRead: Int64, stderr: String, redactor: Redactor
    ) -> RunOutcome {
        let perDestination = lanes.map { lane -> DestinationOutcome in
            // Every step's result holds a receipt per lane that stored its object; the run's main object is the first step's.
            guard lane.alive, let receipt = results.first?.receipts[lane.destination.name] else {
                return DestinationOutcome(
                    destination: lane.destination.name, bucket: lane.destination.bucket,
                    state: .failed(LaneFailure(reason: redactor.redact(lane.error ?? "not stored"))))
            }
            return DestinationOutcome(
                destination: lane.destination.name, bucket: lane.destination.bucket,
                state: .stored(LaneReceipt(objectKey: receipt.key, bytesStored: receipt.size, sha256: receipt.sha256)))
        }
        let stored = perDestination.filter { $0.status == .succeeded }
        let failures = perDestination.filter { $0.status != .succeeded }
        let status: RunStatus = failures.isEmpty ? .succeeded : (stored.isEmpty ? .failed : .partial)
        var error: String?
        switch status {
        case .partial: error = "job \(job.name): stored in \(stored.count) of \(lanes.count) destinations; \(Self.named(failures))"
        case .failed: error = "job \(job.name): \(Self.describe(failures))"
        default: error = nil
        }
        // The stream is one: every lane that stored it holds the same bytes and digest.
        let receipt = stored.lazy.compactMap { lane -> LaneReceipt? in
            if case .stored(let receipt) = lane.state { return receipt }
            return nil
        }.first
        var result = RunOutcome(
            status: status, endedAt: clock.now(), bytesRead: totalRead, bytesStored: receipt?.bytesStored, objectKey: receipt?.objectKey,
            sha256: receipt?.sha256, exitStatus: results.first?.exit.statusCode, stderrTail: stderr.isEmpty ? nil : redactor.redact(stderr),
            error: error, uploadClosed: true)
        result.destinations = perDestination
        result.retries = Self.retries(of: lanes)
        return result
    }

    /// What went wrong at the lanes that failed (every lane of a failed run): the error itself
    /// when the run had one lane, else one clause per lane naming it.
    static func describe(_ failures: [DestinationOutcome]) -> String {
        guard failures.dropFirst().isEmpty, let only = failures.first else { return named(failures) }
        return only.error ?? ""
    }

    /// One clause per failed lane, naming it: `archive: upload failed; cold: ...`.
    static func named(_ failures: [DestinationOutcome]) -> String {
        failures.map { "\($0.destination): \($0.error ?? "")" }.joined(separator: "; ")
    }

    /// The lanes of a run that failed before any destination held its backup: a lane that dropped
    /// out keeps its own error, every other (opened or not) fails, or is interrupted, with the run's.
    func failedLanes(
        _ destinations: [(name: String, config: DestinationConfig?)], lanes: [Lane], error: String, interrupted: Bool, redactor: Redactor
    ) -> [DestinationOutcome] {
        destinations.map { destination in
            let own = lanes.first { $0.destination.name == destination.name }?.error
            let failure = own.map { LaneFailure(reason: redactor.redact($0)) } ?? LaneFailure(reason: error, interrupted: interrupted)
            return DestinationOutcome(destination: destination.name, bucket: destination.config?.bucket, state: .failed(failure))
        }
    }

    /// The S3 retries each opened lane's store made during the run, by destination.
    static func retries(of lanes: [Lane]) -> [String: Int] {
        var retries: [String: Int] = [:]
        for lane in lanes {
            if let store = lane.store { retries[lane.destination.name, default: 0] += store.retries }
        }
        return retries
    }
}
