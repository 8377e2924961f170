/// A store whose listings and deletions can be bound to a `RunCancellation`: every page, batch
/// and retry wait then checks it, and a request in flight is abandoned within about a second.
public protocol CancellableStore: BackupObjectStore {
    /// The same store (same client and connections) stopped by `cancellation`.
    func cancellable(by cancellation: RunCancellation) -> any BackupObjectStore
}
