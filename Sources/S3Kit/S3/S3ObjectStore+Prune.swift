import BackupCore

extension S3ObjectStore: PrunableStore {
    public func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
        try await client.deleteObjectBatch(keys: keys)
    }

    public func deleteOne(key: String) async throws {
        try await client.deleteObject(key: key)
    }
}
