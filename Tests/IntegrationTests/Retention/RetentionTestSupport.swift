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

/// The real libcurl transport, logging every request (`DELETE /bucket/key`, `POST /bucket?delete`)
/// and, when told to, answering 500 to every ListObjectsV2 request for a second or later page.
final class RecordingTransport: HTTPTransport {
    private let inner = CurlTransport()
    private let state = Mutex<(log: [String], failPages: Bool)>(([], false))

    var log: [String] { state.withLock { $0.log } }
    func failListingPages(_ fail: Bool) { state.withLock { $0.failPages = fail } }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let path = request.url.split(separator: "/", maxSplits: 3).dropFirst(2).joined(separator: "/")
        let fail = state.withLock { s -> Bool in
            s.log.append("\(request.method) /\(path)")
            return s.failPages && request.method == "GET" && request.url.contains("continuation-token=")
        }
        if fail {
            let xml = "<Error><Code>InternalError</Code><Message>injected page failure</Message></Error>"
            return HTTPResponse(status: 500, headers: [:], body: Array(xml.utf8))
        }
        return try inner.send(request, body: body, sink: sink)
    }
}

/// Stores over one shared `RecordingTransport`, without retry waits.
struct RecordingProvider: ObjectStoreProvider {
    let transport: RecordingTransport
    /// A bounded number of tries (the default policy retries for five minutes).
    static let retry = RetryPolicy(maxAttempts: 6)

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        var settings = S3Settings(destination: destination)
        settings.retry = RecordingProvider.retry
        let client = S3Client(settings: settings, transport: transport, logger: Logger(label: "it.retention"), sleep: { _ in })
        return S3ObjectStore(client: client, plan: PartSizePlan(firstPartSize: destination.partSize, maxParts: destination.maxParts), partsInFlight: 1, logger: Logger(label: "it.retention"))
    }
}

/// Backups with chosen past times, written straight into a bucket by name.
enum PastBackups {
    /// The keys of a token-named backup of `job` under `prefix` at `time`, manifest included.
    static func keys(prefix: String, job: String, time: Date, token: String, globals: Bool = false) -> [String] {
        let id = "\(prefix)/\(job)-\(ObjectName.timestamp(time))-\(token)"
        return [id + ".dump.zst"] + (globals ? [id + ".globals.sql.zst"] : []) + [id + ".manifest.json"]
    }

    /// Writes every key (a minimal manifest for `.manifest.json`, a few bytes otherwise), in parallel.
    static func write(_ keys: [String], with client: S3Client) async throws {
        let failed = await withTaskGroup(of: String?.self) { group in
          for key in keys {
           group.addTask {
            let body = key.hasSuffix(".manifest.json")
                ? TestManifest.json(for: key)
                : "data of \(key)"
            do {
                // Data objects carry the digest the earlier uploader recorded, so token-less (legacy)
                // names count as complete backups.
                let bytes = Array(body.utf8)
                let metadata = key.hasSuffix(".manifest.json") ? [:] : ["sha256": SHA256.hex(SHA256.hash(bytes))]
                _ = try await S3Client.withBody(bytes) { try await client.putObject(key: key, body: $0, metadata: metadata) }
                return nil
            } catch {
                return "\(key): \(error)"
            }
           }
          }
          var failed: [String] = []
          for await failure in group { if let failure { failed.append(failure) } }
          return failed
        }
        guard failed.isEmpty else { throw TestSetupError("cannot write past backups: \(failed.prefix(3))") }
    }

    /// Every key in the bucket, read with the AWS CLI (a second, independent client).
    static func awsKeys(_ s3: TestS3, bucket: String) throws -> [String] {
        let result = try s3.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--output", "json"])
        guard result.status == 0 else { throw TestSetupError("aws s3api list-objects-v2 failed: \(result.error)") }
        guard !result.output.isEmpty, let json = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else { return [] }
        return ((json["Contents"] as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }.sorted()
    }

    /// The survivors scripts/retention-oracle.py computes, as backup ids.
    static func oracleSurvivors(zone: String, now: Date, policy: [String: Any], backups: [(id: String, time: Date)]) throws -> Set<String> {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/retention-oracle.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let request: [String: Any] = [
            "zone": zone, "now": now.timeIntervalSince1970, "policy": policy,
            "backups": backups.map { ["id": $0.id, "time": Int($0.time.timeIntervalSince1970)] },
        ]
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let answer = try JSONSerialization.jsonObject(with: data) as? [String: [String]] else {
            throw TestSetupError("scripts/retention-oracle.py failed (exit \(process.terminationStatus))")
        }
        return Set(answer.filter { !$0.value.isEmpty }.keys)
    }
}
