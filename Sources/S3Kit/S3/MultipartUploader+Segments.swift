import BackupCore
import Foundation
import SigV4

extension MultipartUploader {
    /// Uploads `source` as one stream: one object when it fits, otherwise consecutive segments
    /// (`key.001`, `key.002`, ...) each completed when it reaches the last part an upload may
    /// have (or the provider's largest object). On equal-parts providers the part size is fixed
    /// now from `expectedSize`. A failure aborts the open segment and deletes the segments
    /// already completed, so a failed stream leaves nothing.
    public func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        let plan = effectivePlan(expectedSize: expectedSize)
        let limit = min(plan.maxObjectSize, profile.maxObjectSize)
        let segments = SegmentingSource(source, limit: limit)
        // The plain key when one object is expected to do; numbered keys from the start otherwise.
        let expectedSegments = expectedSize.map { Int(($0 + limit - 1) / limit) } ?? 1
        var receipts: [UploadReceipt] = []
        do {
            while true {
                let segmentKey = expectedSegments > 1 || segments.index > 1
                    ? StreamReceipt.segmentKey(key, index: segments.index) : key
                let receipt = try await uploadMeasured(
                    key: segmentKey, from: segments, metadata: metadata, uploadStarted: uploadStarted, plan: plan
                ).receipt
                receipts.append(receipt)
                let lent = BlockingBridge.Handoff(segments)
                guard try await BlockingBridge.shared.run({ try lent.value.hasMore() }) else { break }
                logger.info(
                    "segment full, continuing in the next",
                    metadata: ["s3.key": "\(segmentKey)", "s3.bytes": "\(receipt.size)", "s3.segment": "\(segments.index)"])
                segments.nextSegment()
            }
        } catch {
            if !receipts.isEmpty {
                let keys = receipts.map(\.key)
                await Self.uncancelled { [client] in try? await client.deleteObjects(keys: keys) }
            }
            throw error
        }
        // One digest per byte: the stream's is made of its parts' (every segment's, in order).
        let parts = receipts.flatMap(\.parts)
        let sha256 = PartDigest.label(composite: SHA256.composite(ofHex: parts.map(\.sha256)), parts: parts.count)
        return StreamReceipt(key: key, segments: receipts, size: segments.total, sha256: sha256)
    }

    /// The part plan for one upload: equal parts sized from the expected size where the provider
    /// needs them, the configured growing plan elsewhere.
    public func effectivePlan(expectedSize: Int64?) -> PartSizePlan {
        guard profile.equalParts || plan.equalParts else { return plan }
        return PartSizePlan.equal(minimumPartSize: plan.firstPartSize, maxParts: plan.maxParts, expectedSize: expectedSize)
    }
}
