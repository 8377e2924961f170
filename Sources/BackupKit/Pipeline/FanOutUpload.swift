import Foundation
import Synchronization

/// Uploads one stream to several object stores at the same time, each through its store's
/// `uploadStream` (its own multipart uploads and segments, its own cancellation token) on its own
/// thread, reading the stream once through a `StreamTee`.
///
/// Memory: the tee holds at most `window × chunkSize` bytes, and each destination's uploader its own
/// part buffers (`(partsInFlight + 1) × partSize` of that destination), so the whole is bounded by
/// `window × chunkSize + Σ (partsInFlight + 1) × partSize`, however long the stream. The slowest
/// destination sets the pace. A destination whose upload fails has aborted it (the store's contract)
/// and is detached from the tee at once, so the others carry on without it.
public struct FanOutUpload: Sendable {
    /// One destination of the stream.
    public struct Target: Sendable {
        /// The destination's name (for results and logs).
        public var name: String
        /// Where it is stored.
        public var store: any BackupObjectStore
        /// Ends this destination's upload alone (the run's cancellation and timeout cancel every target's).
        public var cancellation: RunCancellation
        /// Called with the upload id once each upload (each segment's) is created.
        public var uploadStarted: @Sendable (String) -> Void
        /// Called as soon as this destination's upload fails while others go on (not for a single target).
        public var uploadFailed: @Sendable (any Error) -> Void

        /// Describes one destination.
        public init(
            name: String, store: any BackupObjectStore, cancellation: RunCancellation = RunCancellation(),
            uploadFailed: @escaping @Sendable (any Error) -> Void = { _ in }, uploadStarted: @escaping @Sendable (String) -> Void = { _ in }
        ) {
            self.name = name
            self.store = store
            self.cancellation = cancellation
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
    /// `expectedSize` fixes equal parts where a destination's provider needs them. A single target
    /// uploads on the calling thread without a tee.
    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64? = nil, targets: [Target]
    ) -> [Result<StreamReceipt, any Error>] {
        if targets.count == 1, let target = targets.first {
            return [
                Result {
                    try target.store.uploadStream(
                        key: key, from: source, metadata: metadata, expectedSize: expectedSize, cancellation: target.cancellation,
                        uploadStarted: target.uploadStarted)
                }
            ]
        }
        let tee = StreamTee(source, chunkSize: chunkSize, window: window)
        let branches = tee.branches(targets.count)
        let results = Mutex<[Int: Result<StreamReceipt, any Error>]>([:])
        let group = DispatchGroup()
        for (index, target) in targets.enumerated() {
            let branch = branches[index]
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let result = Result {
                    try target.store.uploadStream(
                        key: key, from: branch, metadata: metadata, expectedSize: expectedSize, cancellation: target.cancellation,
                        uploadStarted: target.uploadStarted)
                }
                branch.detach()
                if case .failure(let error) = result { target.uploadFailed(error) }
                results.withLock { $0[index] = result }
            }
            thread.name = "fanout-\(target.name)"
            thread.start()
        }
        group.wait()
        return results.withLock { stored in targets.indices.map { stored[$0]! } }
    }
}
