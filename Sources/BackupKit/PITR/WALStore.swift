import BackupCore

/// The few object operations the WAL archive needs, on one destination: small objects written
/// whole, only when their key is free, with user metadata that a HEAD returns.
public protocol WALStore: Sendable {
    /// Stores `body` at `key` with `metadata` only when no object has that key; throws
    /// `ObjectStoreError.alreadyExists` otherwise.
    func create(key: String, body: [UInt8], metadata: [String: String]) async throws
    /// The object at `key` (with its metadata), or nil when there is none.
    func head(key: String) async throws -> StoredObject?
    /// The whole object at `key`, or nil when there is none.
    func read(key: String) async throws -> [UInt8]?
}
