extension MemoryObjectStore: PrunableStore {
    package func deleteBatch(keys: [String]) throws -> [DeletionRefusal] {
        try delete(keys: keys)
        return []
    }

    package func deleteOne(key: String) throws {
        try delete(keys: [key])
    }
}
