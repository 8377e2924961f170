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
            if destinations.count > 1 { log[metadataKey: "s3.destination"] = "\(destination.name)" }
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
            let receipt = results.first?.receipts[lane.destination.name]
            guard lane.alive, let receipt else {
                return DestinationOutcome(
                    destination: lane.destination.name, bucket: lane.destination.bucket, status: .failed,
                    error: redactor.redact(lane.error ?? "not stored"))
            }
            return DestinationOutcome(
                destination: lane.destination.name, bucket: lane.destination.bucket, status: .succeeded, objectKey: receipt.key,
                bytesStored: receipt.size, sha256: receipt.sha256)
        }
        let stored = perDestination.filter { $0.status == .succeeded }
        let failures = perDestination.filter { $0.status != .succeeded }
        let failureText = failures.map { lanes.count > 1 ? "\($0.destination): \($0.error ?? "")" : ($0.error ?? "") }.joined(separator: "; ")
        let status: RunStatus = failures.isEmpty ? .succeeded : (stored.isEmpty ? .failed : .partial)
        var error: String?
        switch status {
        case .partial: error = "job \(job.name): stored in \(stored.count) of \(lanes.count) destinations; \(failureText)"
        case .failed: error = "job \(job.name): \(failureText)"
        default: error = nil
        }
        let first = stored.first
        var result = RunOutcome(
            status: status, endedAt: clock.now(), bytesRead: totalRead, bytesStored: first?.bytesStored, objectKey: first?.objectKey,
            sha256: first?.sha256, exitStatus: results.first?.exit.statusCode, stderrTail: stderr.isEmpty ? nil : redactor.redact(stderr),
            error: error, uploadClosed: true)
        result.destinations = lanes.count > 1 ? perDestination : []
        result.retries = Self.retries(of: lanes)
        return result
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
