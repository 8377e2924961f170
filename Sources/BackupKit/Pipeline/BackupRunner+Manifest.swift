import BackupCore
import ConfigKit
import Foundation
import Logging
import SigV4

extension BackupRunner {
    /// The manifest of a backup whose objects are all complete.
    func makeManifest(
        run: RunIdentity?, job: JobConfig, destination: DestinationConfig, startedAt: Date, token: String, toolVersion: String,
        serverVersion: String?, results: [StepResult]
    ) -> BackupManifest {
        let objects = results.map { result in
            let stream = result.receipt
            let first = stream.segments[0]
            // The uploader's part digests (checked by the server) stand for the stream: no second
            // digest of the same bytes. A store that hashed the whole stream instead records that.
            let byParts = stream.segments.allSatisfy { !$0.parts.isEmpty }
            let segments = stream.isSegmented
                ? stream.segments.map {
                    BackupManifest.Segment(
                        key: $0.key, size: $0.size, sha256: byParts ? nil : $0.sha256, partSize: $0.partSize, partCount: $0.partCount,
                        etag: $0.etag, parts: byParts ? $0.parts : nil)
                }
                : nil
            let parts = stream.segments.flatMap(\.parts)
            return BackupManifest.Object(
                role: result.step.primary ? "dump" : "globals", key: stream.key, tool: result.step.tool,
                size: stream.size, sha256: byParts ? nil : stream.sha256, partSize: first.partSize,
                partCount: stream.segments.reduce(0) { $0 + $1.partCount }, etag: stream.isSegmented ? "" : first.etag,
                segments: segments, parts: byParts && !stream.isSegmented ? parts : nil,
                partsSha256: byParts ? SHA256.composite(ofHex: parts.map(\.sha256)) : nil)
        }
        var manifest = BackupManifest(
            backupId: ObjectName.backupID(job: job.name, time: startedAt, token: token), job: job.name, engine: job.engine.rawValue,
            host: host, trigger: run?.trigger.rawValue, runId: run?.runID, startedAt: startedAt, endedAt: clock.now(),
            tool: BackupManifest.Tool(name: results.first?.step.tool ?? "", version: toolVersion), serverVersion: serverVersion,
            backupd: BackupManifest.Tool(name: "backupd", version: BackupKit.version), compression: job.compression.rawValue,
            encryption: job.encryption.map { BackupManifest.Encryption(scheme: "age", recipients: $0.ageRecipients.map(AgeRecipient.fingerprint)) },
            destination: destination.name, bucket: destination.bucket, copies: [], objects: objects)
        manifest.tables = job.tables
        manifest.baseBackup = results.first { $0.step.primary }?.baseBackup
        return manifest
    }

    /// PUTs the manifest (never over an existing key). When it cannot be stored, the data objects
    /// are deleted (best effort) so that a failed run leaves no incomplete backup behind.
    func writeManifest(_ manifest: BackupManifest, job: JobConfig, store: any BackupObjectStore, logger: Logger) async throws {
        let key = ObjectName.manifestKey(prefix: job.prefix, backupID: manifest.backupId)
        do {
            _ = try await store.createObject(key: key, body: try manifest.encoded(), contentType: "application/json")
        } catch {
            logger.info("storing the manifest failed, deleting the backup's objects", metadata: ["s3.key": "\(key)", "s3.error": "\(error)"])
            // A taken name may hold another run's backup: leave that alone.
            let taken: Bool
            if case ObjectStoreError.alreadyExists = error { taken = true } else { taken = false }
            if !taken { try? await store.delete(keys: manifest.dataKeys) }
            throw BackupManifestWriteError(key: key, reason: "\(error)", removed: !taken)
        }
        logger.debug("manifest stored", metadata: ["s3.key": "\(key)"])
    }
}

/// The manifest of a finished backup could not be stored.
struct BackupManifestWriteError: Error, CustomStringConvertible {
    var key: String
    var reason: String
    var removed: Bool

    var description: String {
        "storing the manifest \(key) failed: \(reason); the backup is incomplete" + (removed ? " and its objects were removed" : "")
    }
}
