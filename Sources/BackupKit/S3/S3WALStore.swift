import Foundation
import Logging
import Synchronization

/// The live `WALStore`: one bucket through an `S3Client`, each blocking request on the bridge.
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
        let client = self.client
        _ = try await BlockingBridge.shared.run {
            try body.withUnsafeBytes { try client.putObjectIfAbsent(key: key, body: $0, contentType: "application/octet-stream", metadata: metadata) }
        }
    }

    public func head(key: String) async throws -> StoredObject? {
        let client = self.client
        return try await BlockingBridge.shared.run { try client.headObject(key: key) }
    }

    public func read(key: String) async throws -> [UInt8]? {
        let client = self.client
        return try await BlockingBridge.shared.run {
            guard try client.headObject(key: key) != nil else { return nil }
            let collected = Mutex<[UInt8]>([])
            try client.getObject(key: key) { chunk in collected.withLock { $0 += chunk } }
            return collected.withLock { $0 }
        }
    }
}
