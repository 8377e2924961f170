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

    /// An uploader over `client`.
    public init(client: S3Client, plan: PartSizePlan, partsInFlight: Int, logger: Logger) {
        self.client = client
        self.plan = plan
        self.partsInFlight = max(1, partsInFlight)
        self.logger = logger
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
        uploadStarted: (String) -> Void
    ) throws -> (receipt: UploadReceipt, peakBufferBytes: Int) {
        if let reason = cancellation.reason { throw S3Error.cancelled(reason: reason) }
        let uploadID = try client.createMultipartUpload(key: key, metadata: metadata)
        var log = logger
        log[metadataKey: "s3.key"] = "\(key)"
        log[metadataKey: "s3.upload_id"] = "\(uploadID)"
        uploadStarted(uploadID)

        let state = UploadState(bufferLimit: partsInFlight + 1)
        cancellation.onCancel { [weak state] in state?.fail(S3Error.cancelled(reason: cancellation.reason ?? "cancelled")) }
        for index in 0..<partsInFlight {
            state.workerStarted()
            let thread = Thread { [client] in
                defer { state.workerExited() }
                while let part = state.nextPart() {
                    let bytes = UnsafeRawBufferPointer(rebasing: part.buffer.memory[0..<part.length])
                    let sha = SHA256.hex(SHA256.hash(bytes))
                    do {
                        let etag = try client.uploadPart(key: key, uploadID: uploadID, number: part.number, body: bytes, sha256: sha)
                        state.partSent(number: part.number, etag: etag)
                        state.releaseBuffer(part.buffer)
                    } catch {
                        state.releaseBuffer(part.buffer)
                        state.fail(error)
                    }
                }
            }
            thread.name = "s3-part-\(index)"
            thread.start()
        }

        let hasher = SHA256Hasher()
        var total: Int64 = 0
        var partCount = 0
        var firstPartSize = 0
        do {
            try readParts(
                source: source, key: key, state: state, hasher: hasher, total: &total, partCount: &partCount,
                firstPartSize: &firstPartSize)
        } catch {
            state.fail(error)
        }
        state.finishInput()
        state.waitForWorkers()

        if let failure = state.error ?? (state.allSent ? nil : S3Error.invalidResponse(operation: "UploadPart", detail: "parts missing")) {
            log.info("upload failed, aborting", metadata: ["s3.error": "\(failure)"])
            do {
                try client.abortMultipartUpload(key: key, uploadID: uploadID)
            } catch {
                log.warning("abort failed; the upload stays open until cleaned up", metadata: ["s3.error": "\(error)"])
            }
            throw failure
        }

        let sha256 = SHA256.hex(hasher.finalize())
        let parts = state.etags.map { (number: $0.key, etag: $0.value) }
        do {
            try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        } catch {
            try? client.abortMultipartUpload(key: key, uploadID: uploadID)
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

    /// Fills buffers from `source` and queues them, hashing the whole stream in order.
    private func readParts(
        source: any ByteSource, key: String, state: UploadState, hasher: SHA256Hasher, total: inout Int64, partCount: inout Int,
        firstPartSize: inout Int
    ) throws {
        var number = 1
        var finished = false
        while !finished {
            guard let size = plan.size(ofPart: number) else {
                // Only reached when the stream still has bytes after the last allowed part.
                throw S3Error.objectTooLarge(key: key, maxParts: plan.maxParts, bytes: total)
            }
            guard let buffer = state.acquireBuffer(size: size) else { return }
            var filled = 0
            while filled < size {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.memory[filled..<size]))
                if n == 0 { finished = true; break }
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
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer.memory[0..<filled]))
            total += Int64(filled)
            partCount = number
            if number == 1 { firstPartSize = size }
            state.enqueue(UploadState.Pending(number: number, buffer: buffer, length: filled))
            number += 1
        }
    }
}
