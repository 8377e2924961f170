/// A store prune can delete from, object by object with an answer for each: multi-object delete
/// (DeleteObjects) where the provider has it, single DeleteObject where it has not.
public protocol PrunableStore: BackupObjectStore {
    /// Deletes up to 1,000 keys in one request and returns those the service refused. Throws
    /// when the request as a whole fails (then nothing is known to be deleted).
    func deleteBatch(keys: [String]) async throws -> [DeletionRefusal]

    /// Deletes one key; a key that does not exist is not an error.
    func deleteOne(key: String) async throws
}

/// A key the service would not delete, and why (object lock, bucket policy).
public struct DeletionRefusal: Sendable, Hashable {
    /// The key.
    public var key: String
    /// S3's error code, e.g. `AccessDenied`.
    public var code: String
    /// S3's message.
    public var message: String

    /// Describes a refusal.
    public init(key: String, code: String, message: String) {
        self.key = key
        self.code = code
        self.message = message
    }
}
