import Foundation
import Logging
import SigV4
import Synchronization
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A bucket of its own behind a `FaultProxy`, a temp state directory with a history, and a
/// config whose destination goes through the proxy: what the network-fault tests share.
struct NetworkFixture {
    let s3: TestS3
    let direct: S3Client
    let proxy: FaultProxy
    let directory: String
    let history: HistoryStore

    init(_ label: String) async throws {
        s3 = try TestS3.environment()
        direct = try await s3.makeBucket(label)
        proxy = try FaultProxy(upstreamPort: s3.endpoint.port ?? 80)
        directory = FileManager.default.temporaryDirectory.path + "/backupd-net-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        history = try HistoryStore(stateDirectory: directory)
    }

    /// Stops the proxy and removes the state directory.
    func tearDown() {
        proxy.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var bucket: String { direct.settings.bucket }
    var proxyEndpoint: String { "http://127.0.0.1:\(proxy.port)" }

    /// A config with one destination through the proxy and `jobs`, with `destination` merged into the destination.
    func config(destination extra: [String: Any] = [:], jobs: [[String: Any]] = []) throws -> BackupConfig {
        var destination: [String: Any] = [
            "name": "s3", "endpoint": proxyEndpoint, "region": s3.region, "bucket": bucket,
            "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "partSizeMiB": 5, "partsInFlight": 2,
        ]
        destination.merge(extra) { $1 }
        let root: [String: Any] = ["stateDirectory": directory, "destinations": [destination], "jobs": jobs]
        let data = try JSONSerialization.data(withJSONObject: root)
        return try BackupConfig.parse(Array(data), file: directory + "/config.json", sources: .live).config
    }

    /// A command job backing up `argv`'s output without compression.
    static func commandJob(_ name: String, argv: [String], timeout: String = "1h") -> [String: Any] {
        [
            "name": name, "engine": "command", "schedule": "0 3 * * *", "destination": "s3", "prefix": "db",
            "timeout": timeout, "compression": "none", "connection": ["argv": argv, "extension": "bin"],
        ]
    }

    /// The store provider the daemon uses, keeping failed aborts in the fixture's history.
    func provider() -> S3StoreProvider {
        S3StoreProvider(logger: Logger(label: "test.net"), abortLedger: history)
    }

    /// Multipart uploads open in the bucket, asked of the server directly (not through the proxy).
    func openUploads() async throws -> [OpenUpload] {
        try await direct.listMultipartUploads(prefix: "")
    }

    /// The SHA-256 of `key` as the AWS CLI downloads it (an independent client).
    func awsSHA256(of key: String) throws -> String {
        let file = directory + "/aws-\(UUID().uuidString)"
        let result = try s3.aws(["s3", "cp", "--quiet", "s3://\(bucket)/\(key)", file])
        guard result.status == 0 else { return "aws failed: \(result.error)" }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        return data.withUnsafeBytes { SHA256.hex(SHA256.hash($0)) }
    }
}

/// A source that runs `action` once when `threshold` bytes have been read from `inner`, and
/// publishes how many bytes were read so far in `produced` (readable from any thread).
final class TriggerSource: ByteSource {
    let inner: PatternSource
    let threshold: Int
    let action: () -> Void
    let produced = ProducedCount()
    private var fired = false

    init(_ inner: PatternSource, at threshold: Int, action: @escaping () -> Void) {
        self.inner = inner
        self.threshold = threshold
        self.action = action
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !fired && inner.produced >= threshold {
            fired = true
            action()
        }
        let n = try inner.read(into: buffer)
        produced.value.withLock { $0 = inner.produced }
        return n
    }
}

/// A byte count shared between threads.
final class ProducedCount: Sendable {
    let value = Mutex(0)
}
