import BackupCore
import Foundation

/// Uploads one stream to several object stores at the same time, each through its store's
/// `uploadStream` (its own multipart uploads and segments) in a child task of a task group,
/// reading the stream once through a `StreamTee`. One destination goes the same way: the tee's
/// only branch reads the stream straight into its uploader's buffers (no chunk, no extra copy).
///
/// Memory: the tee holds at most `window × chunkSize` bytes, and each destination's uploader its own
/// part buffers (`(partsInFlight + 1) × partSize` of that destination), so the whole is bounded by
/// `window × chunkSize + Σ (partsInFlight + 1) × partSize`, however long the stream. The slowest
/// destination sets the pace. A destination whose upload fails has aborted it (the store's contract)
/// and is detached from the tee at once, so the others carry on without it. Cancelling the calling
/// task cancels every destination's upload.
public struct FanOutUpload: Sendable {
    /// One destination of the stream.
    public struct Target: Sendable {
        /// The destination's name (for results and logs).
        public var name: String
        /// Where it is stored.
        public var store: any BackupObjectStore
        /// Called with the upload id once each upload (each segment's) is created.
        public var uploadStarted: @Sendable (String) -> Void
        /// Called as soon as this destination's upload fails (the others, if any, go on).
        public var uploadFailed: @Sendable (any Error) -> Void

        /// Describes one destination.
        public init(
            name: String, store: any BackupObjectStore,
            uploadFailed: @escaping @Sendable (any Error) -> Void = { _ in }, uploadStarted: @escaping @Sendable (String) -> Void = { _ in }
        ) {
            self.name = name
            self.store = store
            self.uploadStarted = uploadStarted
            self.uploadFailed = uploadFailed
        }
    }

    /// The largest read from the stream that the tee shares.
    public var chunkSize: Int
    /// How many shared chunks may be held at once.
    public var window: Int

    /// A fan-out with the tee's chunk size and window.
    public init(chunkSize: Int = 1 << 20, window: Int = 4) {
        self.chunkSize = chunkSize
        self.window = window
    }

    /// Uploads `source` to `key` on every target and returns each target's result, in target order;
    /// `expectedSize` fixes equal parts where a destination's provider needs them.
    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64? = nil, targets: [Target]
    ) async -> [Result<StreamReceipt, any Error>] {
        let tee = StreamTee(source, chunkSize: chunkSize, window: window)
        let branches = tee.branches(targets.count)
        return await withTaskGroup(of: (index: Int, result: Result<StreamReceipt, any Error>).self) { group in
            for (index, target) in targets.enumerated() {
                let branch = branches[index]
                group.addTask {
                    let result: Result<StreamReceipt, any Error>
                    do {
                        result = .success(
                            try await target.store.uploadStream(
                                key: key, from: branch, metadata: metadata, expectedSize: expectedSize, uploadStarted: target.uploadStarted))
                    } catch {
                        result = .failure(error)
                    }
                    branch.detach()
                    if case .failure(let error) = result { target.uploadFailed(error) }
                    return (index, result)
                }
            }
            var results: [Result<StreamReceipt, any Error>?] = Array(repeating: nil, count: targets.count)
            for await finished in group { results[finished.index] = finished.result }
            return results.map { $0! }
        }
    }
}
