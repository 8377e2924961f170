import BackupCore
import Foundation
import Logging
import SigV4

/// Streams a `ByteSource` of unknown length to one S3 object as a multipart upload.
///
/// The uploading task reads parts (through the `BlockingBridge`), hashing each once; up to
/// `partsInFlight` parts are sent at once, each a child task of a task group. At most
/// `partsInFlight + 1` part buffers exist: the next part (or the next two, when `PartReader` hashes
/// them together) is read while the others are sent, and is sent only when a slot is free, so a slow bucket holds the reader (and through it the
/// producer) back instead of growing memory. Any failure, and cancelling the task, aborts the upload.
public final class MultipartUploader: Sendable {
    let client: S3Client
    /// Part sizes as the stream grows.
    public let plan: PartSizePlan
    /// Parts sent at once.
    public let partsInFlight: Int
    let logger: Logger
    /// The provider's limits (equal parts, largest object) that part sizing and segments follow.
    public let profile: ProviderProfile
    /// Where an upload whose abort failed is kept, with the destination's name.
    let abortLedger: (ledger: any PendingAbortLedger, destination: String)?
    /// When abort-pending entries are dated.
    let now: @Sendable () -> Date

    /// An uploader over `client`.
    public init(
        client: S3Client, plan: PartSizePlan, partsInFlight: Int, logger: Logger, profile: ProviderProfile = ProviderProfile(),
        abortLedger: (ledger: any PendingAbortLedger, destination: String)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.plan = plan
        self.partsInFlight = max(1, partsInFlight)
        self.logger = logger
        self.profile = profile
        self.abortLedger = abortLedger
        self.now = now
    }

    /// Uploads `source` to `key` with `metadata` (what is known at the start), hashing each part
    /// as it is read, and verifies size and metadata with HEAD. The part digests (each signed
    /// with its part and checked by the server) go into the receipt, and from there the manifest,
    /// never back onto the object: no copy request is sent.
    /// See `BackupObjectStore.upload` for the contract.
    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        try await uploadMeasured(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted).receipt
    }

    /// `upload` that also reports the peak bytes of part buffers held (for the memory bound's tests).
    func uploadMeasured(
        key: String, from source: any ByteSource, metadata: [String: String],
        uploadStarted: (String) -> Void, plan: PartSizePlan? = nil
    ) async throws -> (receipt: UploadReceipt, peakBufferBytes: Int) {
        let plan = plan ?? self.plan
        if Task.isCancelled { throw S3Error.cancelled(reason: StopReason.text) }
        let uploadID = try await client.createMultipartUpload(key: key, metadata: metadata)
        var log = logger
        log[metadataKey: "s3.key"] = "\(key)"
        log[metadataKey: "s3.upload_id"] = "\(uploadID)"
        uploadStarted(uploadID)

        // Parts hashed two at a time where the CPU's SHA extensions make that cheaper, and where a
        // part in flight can wait for its partner without stopping the sends (2 or more in flight).
        let reader = PartReader(source: source, key: key, plan: plan, pairs: partsInFlight >= 2 && StreamHasher.pairedAvailable)
        let sent: [Int: (etag: String, digest: PartDigest)]
        do {
            sent = try await sendParts(from: reader, key: key, uploadID: uploadID)
        } catch {
            let failure = Task.isCancelled && !(error is S3Error) ? S3Error.cancelled(reason: StopReason.text) : error
            log.info("upload failed, aborting", metadata: ["s3.error": "\(failure)"])
            await abort(key: key, uploadID: uploadID, cancelled: Task.isCancelled, log: log)
            throw failure
        }

        let parts = sent.keys.sorted().map { sent[$0]!.digest }
        let sha256 = PartDigest.label(composite: SHA256.composite(ofHex: parts.map(\.sha256)), parts: parts.count)
        let sentParts = sent.map { (number: $0.key, etag: $0.value.etag) }
        do {
            try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: sentParts)
        } catch {
            await abort(key: key, uploadID: uploadID, cancelled: Task.isCancelled, log: log)
            throw error
        }
        let etag: String
        do {
            etag = try await verify(key: key, size: reader.total, metadata: metadata)
        } catch {
            // An object that does not read back as sent is not a finished backup: remove it (best
            // effort) so that the failure leaves nothing behind, as a failed upload would.
            log.info("the stored object does not match the upload, deleting it", metadata: ["s3.error": "\(error)"])
            await Self.uncancelled { [client] in try? await client.deleteObjects(keys: [key]) }
            throw error
        }
        log.info("upload complete", metadata: ["s3.bytes": "\(reader.total)", "s3.parts": "\(reader.partCount)", "s3.sha256": "\(sha256)"])
        return (
            UploadReceipt(
                key: key, uploadID: uploadID, size: reader.total, sha256: sha256, etag: etag, partSize: reader.firstPartSize,
                partCount: reader.partCount, parts: parts),
            reader.peakBufferBytes
        )
    }

    /// Reads parts and sends each as a child task, at most `partsInFlight` at once; returns the
    /// parts' ETags and digests by number. The first failure (a part's, the source's) cancels the others.
    private func sendParts(from reader: PartReader, key: String, uploadID: String) async throws -> [Int: (etag: String, digest: PartDigest)] {
        // Each part (its buffer) is lent to the child task that sends it and comes back with its ETag.
        try await withThrowingTaskGroup(
            of: (number: Int, etag: String, digest: PartDigest, buffer: BlockingBridge.Handoff<PartBuffer>).self
        ) { group in
            var etags: [Int: (etag: String, digest: PartDigest)] = [:]
            var running = 0
            func awaitOne() async throws {
                guard let sent = try await group.next() else { return }
                etags[sent.number] = (sent.etag, sent.digest)
                reader.release(sent.buffer.value)
                running -= 1
            }
            while true {
                // The reader fills its next parts in buffers of their own: at most partsInFlight + 1 exist.
                while running > 0 && running > partsInFlight + 1 - reader.buffersPerRead { try await awaitOne() }
                let parts = try await reader.next()
                if parts.isEmpty { break }
                for filled in parts {
                    if running == partsInFlight { try await awaitOne() }
                    running += 1
                    group.addTask { [client, stop = reader.stop, lent = BlockingBridge.Handoff(filled)] in
                        let part = lent.value
                        do {
                            let bytes = UnsafeRawBufferPointer(rebasing: part.buffer.memory[0..<part.length])
                            // The part's digest (hashed by the reader) lets the server check it.
                            let etag = try await client.uploadPart(
                                key: key, uploadID: uploadID, number: part.number, body: bytes, sha256: part.sha256)
                            let digest = PartDigest(size: Int64(part.length), sha256: part.sha256)
                            return (part.number, etag, digest, BlockingBridge.Handoff(part.buffer))
                        } catch {
                            stop.raise()  // the reader stops at its next chunk instead of filling a part for nothing
                            throw error
                        }
                    }
                }
            }
            for try await sent in group {
                etags[sent.number] = (sent.etag, sent.digest)
                reader.release(sent.buffer.value)
            }
            // A read cut short by cancellation is not the end of the stream: never complete it.
            if Task.isCancelled || reader.stop.isRaised { throw S3Error.cancelled(reason: StopReason.text) }
            guard etags.count == reader.partCount else {
                throw S3Error.invalidResponse(operation: "UploadPart", detail: "parts missing")
            }
            return etags
        }
    }

    /// Confirms with HEAD that the object has the streamed size and every metadata entry (the
    /// digest among them); returns its ETag.
    private func verify(key: String, size: Int64, metadata: [String: String]) async throws -> String {
        guard let head = try await client.headObject(key: key) else {
            throw S3Error.invalidResponse(operation: "HeadObject", detail: "\(key) is missing after the upload completed")
        }
        guard head.size == size else {
            throw S3Error.invalidResponse(operation: "HeadObject", detail: "\(key) has \(head.size) bytes, expected \(size)")
        }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) where head.metadata[name.lowercased()] != value {
            throw S3Error.invalidResponse(
                operation: "HeadObject", detail: "\(key) has \(name) \(head.metadata[name.lowercased()] ?? "none"), expected \(value)")
        }
        return head.etag ?? ""
    }
}
