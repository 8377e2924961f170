extension S3ObjectStore: PrunableStore {
    public func deleteBatch(keys: [String]) throws -> [DeletionRefusal] {
        try client.deleteObjectBatch(keys: keys, cancellation: cancellation)
    }

    public func deleteOne(key: String) throws {
        try client.deleteObject(key: key, cancellation: cancellation)
    }
}
