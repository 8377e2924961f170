import BackupCore
import Foundation

extension S3Client {
    /// The byte range one ranged GET fetches when an object is downloaded in parallel.
    public static let downloadRangeSize = 8 << 20

    /// Streams the object at `key` to `sink` in order. A transfer that breaks resumes with a
    /// ranged GET from the byte where it broke (If-Match on the ETag, so a replaced object is
    /// never spliced), under the retry budget; objects larger than two ranges are fetched with
    /// `inFlight` ranged GETs at once, reassembled in order in at most `inFlight + 1` buffers.
    /// `sink` runs on the `BlockingBridge` (it may block: a restore writes into a pipe).
    public func download(
        key: String, inFlight: Int = 4, rangeSize: Int = S3Client.downloadRangeSize,
        to sink: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        guard let head = try await headObject(key: key) else {
            throw S3Error.service(operation: "GetObject", status: 404, code: "NoSuchKey", message: "\(key) does not exist", requestID: nil)
        }
        guard head.size > 0 else { return }
        if inFlight <= 1 || head.size <= Int64(rangeSize) * 2 {
            try await fetchRange(key: key, etag: head.etag, range: 0..<head.size, to: sink)
            return
        }
        try await RangedDownload(client: self, key: key, etag: head.etag, size: head.size, rangeSize: rangeSize, inFlight: inFlight)
            .run(to: sink)
    }

    /// GETs `range` of `key` to `sink`, resuming after a break from the first byte not received.
    func fetchRange(
        key: String, etag: String?, range: Range<Int64>, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        var offset = range.lowerBound
        var breaks = 0
        let started = now()
        while offset < range.upperBound {
            var headers: [(name: String, value: String)] = [(name: "Range", value: "bytes=\(offset)-\(range.upperBound - 1)")]
            if let etag { headers.append((name: "If-Match", value: etag)) }
            let before = offset
            do {
                _ = try await perform(
                    "GetObject", method: "GET", key: key, headers: headers,
                    sink: { chunk in
                        let room = Int(range.upperBound - offset)
                        let usable = UnsafeRawBufferPointer(rebasing: chunk[0..<min(room, chunk.count)])
                        offset += Int64(usable.count)
                        try sink(usable)
                    })
                if offset < range.upperBound && offset == before {
                    throw S3Error.invalidResponse(operation: "GetObject", detail: "\(key) ended at byte \(offset) of \(range.upperBound)")
                }
            } catch let error as S3Error where S3Client.isResumable(error) && offset > before {
                breaks += 1
                let delay = settings.retry.delay(retry: breaks, jitter: jitter())
                let elapsed = now().timeIntervalSince(started)
                guard settings.retry.allows(retry: breaks, elapsed: elapsed, delay: delay) else { throw error }
                logger.info(
                    "download broke, resuming with a ranged GET",
                    metadata: ["s3.key": "\(key)", "s3.offset": "\(offset)", "s3.error": "\(error)"])
                do {
                    try await sleep(delay)
                } catch {
                    throw S3Error.cancelled(reason: StopReason.text)
                }
            }
        }
    }

    /// Whether a download that failed after some bytes can resume where it broke.
    static func isResumable(_ error: S3Error) -> Bool {
        switch error {
        case .unreachable(_, _, let cause): return cause.isRetryable
        case .service(_, let status, let code, _, _): return isRetryable(status: status, code: code)
        default: return false
        }
    }
}
