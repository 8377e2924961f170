import BackupCore

extension MemoryObjectStore: PrunableStore {
    package func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
        try await delete(keys: keys)
        return []
    }

    package func deleteOne(key: String) async throws {
        try await delete(keys: [key])
    }
}
