import Foundation
import Logging
import SigV4

/// Streams a `ByteSource` of unknown length to one S3 object as a multipart upload.
///
/// The calling thread reads parts and hashes the whole stream; `partsInFlight` worker threads hash
/// and send parts. At most `partsInFlight + 1` part buffers exist, so a slow bucket blocks the
/// reader (and through it the producer) instead of growing memory. Any failure aborts the upload.
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

    /// Uploads `source` to `key` with `metadata` (what is known at the start), hashing the stream
    /// in the same pass, and verifies size and metadata with HEAD. The digest goes into the
    /// receipt (and from there the manifest), never back onto the object: no copy request is sent.
    /// See `BackupObjectStore.upload` for the contract.
    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], cancellation: RunCancellation,
        uploadStarted: (String) -> Void
    ) throws -> UploadReceipt {
        try uploadMeasured(key: key, from: source, metadata: metadata, cancellation: cancellation, uploadStarted: uploadStarted).receipt
    }

    /// `upload` that also reports the peak bytes of part buffers held (for the memory bound's tests).
    func uploadMeasured(
        key: String, from source: any ByteSource, metadata: [String: String], cancellation: RunCancellation,
        uploadStarted: (String) -> Void, plan: PartSizePlan? = nil, hasher: StreamHasher = StreamHasher()
    ) throws -> (receipt: UploadReceipt, peakBufferBytes: Int) {
        let plan = plan ?? self.plan
        if let reason = cancellation.reason { throw S3Error.cancelled(reason: reason) }
        let uploadID = try client.createMultipartUpload(key: key, metadata: metadata, cancellation: cancellation)
        var log = logger
        log[metadataKey: "s3.key"] = "\(key)"
        log[metadataKey: "s3.upload_id"] = "\(uploadID)"
        uploadStarted(uploadID)

        let state = UploadState(bufferLimit: partsInFlight + 1)
        // Parts in flight (and their retries) end within a second when the run is cancelled or
        // times out, or when the upload failed anyway (a part's budget spent, the source broke).
        let parts = RunCancellation()
        cancellation.onCancel { [weak state] reason in
            state?.fail(S3Error.cancelled(reason: reason))
            parts.cancel(reason: reason)
        }
        for index in 0..<partsInFlight {
            state.workerStarted()
            let thread = Thread { [client] in
                defer { state.workerExited() }
                while let part = state.nextPart() {
                    let bytes = UnsafeRawBufferPointer(rebasing: part.buffer.memory[0..<part.length])
                    // The part's digest (hashed by the reader with the stream's) lets the server check it.
                    do {
                        let etag = try client.uploadPart(
                            key: key, uploadID: uploadID, number: part.number, body: bytes, sha256: part.sha256, cancellation: parts)
                        state.partSent(number: part.number, etag: etag)
                        state.releaseBuffer(part.buffer)
                    } catch {
                        state.releaseBuffer(part.buffer)
                        state.fail(error)
                        parts.cancel(reason: "the upload failed: \(error)")
                    }
                }
            }
            thread.name = "s3-part-\(index)"
            thread.start()
        }

        var total: Int64 = 0
        var partCount = 0
        var firstPartSize = 0
        do {
            try readParts(
                source: source, key: key, plan: plan, state: state, hasher: hasher, total: &total,
                partCount: &partCount, firstPartSize: &firstPartSize)
        } catch {
            state.fail(error)
            parts.cancel(reason: "the stream failed: \(error)")
        }
        state.finishInput()
        state.waitForWorkers()

        if let failure = state.error ?? (state.allSent ? nil : S3Error.invalidResponse(operation: "UploadPart", detail: "parts missing")) {
            log.info("upload failed, aborting", metadata: ["s3.error": "\(failure)"])
            abort(key: key, uploadID: uploadID, cancelled: cancellation.reason != nil, log: log)
            throw failure
        }

        // The stream's hasher may go on into the next segment: the digest comes from a copy.
        let sha256 = SHA256.hex(hasher.copy().finalize())
        let sentParts = state.etags.map { (number: $0.key, etag: $0.value) }
        do {
            try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: sentParts, cancellation: cancellation)
        } catch {
            abort(key: key, uploadID: uploadID, cancelled: cancellation.reason != nil, log: log)
            throw error
        }
        let etag: String
        do {
            etag = try verify(key: key, size: total, metadata: metadata)
        } catch {
            // An object that does not read back as sent is not a finished backup: remove it (best
            // effort) so that the failure leaves nothing behind, as a failed upload would.
            log.info("the stored object does not match the upload, deleting it", metadata: ["s3.error": "\(error)"])
            try? client.deleteObjects(keys: [key])
            throw error
        }
        log.info("upload complete", metadata: ["s3.bytes": "\(total)", "s3.parts": "\(partCount)", "s3.sha256": "\(sha256)"])
        return (
            UploadReceipt(
                key: key, uploadID: uploadID, size: total, sha256: sha256, etag: etag, partSize: firstPartSize, partCount: partCount),
            state.peakBufferBytes
        )
    }

    /// Confirms with HEAD that the object has the streamed size and every metadata entry (the
    /// digest among them); returns its ETag.
    private func verify(key: String, size: Int64, metadata: [String: String]) throws -> String {
        guard let head = try client.headObject(key: key) else {
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

    /// Aborts a failed upload with a short budget; when even that fails, the upload is kept as
    /// abort pending for the sweeper (and logged), so its parts do not stay billed.
    func abort(key: String, uploadID: String, cancelled: Bool, log: Logger) {
        let budget = min(client.settings.retry.budget, cancelled ? MultipartUploader.cancelledAbortBudget : MultipartUploader.abortBudget)
        // The budget bounds the retries; the deadline also ends a request stalled on a dead endpoint.
        let deadline = RunCancellation()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(budget * 1000) + 1000)) {
            deadline.cancel(reason: "the abort took longer than \(Int(budget)) s")
        }
        do {
            try client.abortMultipartUpload(key: key, uploadID: uploadID, budget: budget, cancellation: deadline)
            log.info("upload aborted")
        } catch {
            log.warning("abort failed; kept as abort pending for the sweeper", metadata: ["s3.error": "\(error)"])
            guard let abortLedger else { return }
            do {
                try abortLedger.ledger.recordPendingAbort(
                    PendingAbort(
                        destination: abortLedger.destination, bucket: client.settings.bucket, key: key, uploadID: uploadID,
                        since: now(), lastError: "\(error)"))
            } catch {
                log.error("cannot record the pending abort in the history", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Seconds an abort after a failure is retried.
    static let abortBudget: Double = 30
    /// Seconds an abort after a cancellation is retried (SIGTERM's grace is short).
    static let cancelledAbortBudget: Double = 5

    /// Fills buffers from `source` and queues them, hashing the whole stream in order and each
    /// part for its signature: each chunk right after it is read, while it is still in the cache,
    /// both digests in one pass.
    private func readParts(
        source: any ByteSource, key: String, plan: PartSizePlan, state: UploadState, hasher: StreamHasher,
        total: inout Int64, partCount: inout Int, firstPartSize: inout Int
    ) throws {
        var number = 1
        var finished = false
        while !finished {
            guard let size = plan.size(ofPart: number) else {
                // Only reached when the stream still has bytes after the last allowed part.
                throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total)
            }
            guard let buffer = state.acquireBuffer(size: size) else { return }
            let partHasher = StreamHasher()
            var filled = 0
            while filled < size {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.memory[filled..<size]))
                if n == 0 { finished = true; break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer.memory[filled..<(filled + n)])
                StreamHasher.update(hasher, and: partHasher, with: chunk)
                filled += n
                if state.error != nil { state.releaseBuffer(buffer); return }
            }
            if filled == 0 && number > 1 {
                state.releaseBuffer(buffer)
                break
            }
            if filled == size && number == plan.maxParts {
                // A full last part: the stream must end here or it does not fit.
                var probe: UInt8 = 0
                let extra = try withUnsafeMutableBytes(of: &probe) { try source.read(into: $0) }
                if extra > 0 { state.releaseBuffer(buffer); throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total + Int64(filled) + 1) }
                finished = true
            }
            total += Int64(filled)
            partCount = number
            if number == 1 { firstPartSize = size }
            state.enqueue(UploadState.Pending(number: number, buffer: buffer, length: filled, sha256: SHA256.hex(partHasher.finalize())))
            number += 1
        }
    }
}
