import BackupKit

/// The object stores the commands use: S3 through the s3 branch's `S3StoreProvider` once merged.
func liveStores() -> any ObjectStoreProvider {
    UnavailableStores()
}

/// Stands in until the S3 client is part of the build: every destination fails with a clear message.
struct UnavailableStores: ObjectStoreProvider {
    struct NotBuilt: Error, CustomStringConvertible {
        var description: String { "this build of backupd has no S3 client" }
    }

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { throw NotBuilt() }
}
