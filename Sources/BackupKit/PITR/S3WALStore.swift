import BackupCore
import ConfigKit
import Foundation
import Logging
import S3Kit
import Synchronization

/// The live `WALStore`: one bucket through an `S3Client`, its requests async over the bridge.
public struct S3WALStore: WALStore {
    /// The bucket's client.
    public let client: S3Client

    /// A store over `client`.
    public init(client: S3Client) {
        self.client = client
    }

    /// A store for a configured destination.
    public init(destination: DestinationConfig, logger: Logger) {
        client = S3ObjectStore(destination: destination, logger: logger).client
    }

    public func create(key: String, body: [UInt8], metadata: [String: String]) async throws {
        _ = try await S3Client.withBody(body) {
            try await client.putObjectIfAbsent(key: key, body: $0, contentType: "application/octet-stream", metadata: metadata)
        }
    }

    public func head(key: String) async throws -> StoredObject? {
        try await client.headObject(key: key)
    }

    public func read(key: String) async throws -> [UInt8]? {
        guard try await client.headObject(key: key) != nil else { return nil }
        let collected = Mutex<[UInt8]>([])
        try await client.getObject(key: key) { chunk in collected.withLock { $0 += Array(chunk) } }
        return collected.withLock { $0 }
    }
}
