import BackupCore
import Foundation
import SigV4

/// Exercises every S3 operation a backup and its retention need, under a temporary prefix in the
/// bucket, and reports each as ok or the exact failure. Cleans up after itself.
public struct DestinationChecker: Sendable {
    let client: S3Client
    let name: String
    let prefix: String
    let now: @Sendable () -> Date

    /// Clock skew beyond which S3 rejects requests (RequestTimeTooSkewed).
    static let maximumSkew: Double = 15 * 60

    /// A checker for the destination `name` through `client`; `token` makes the temporary prefix unique.
    public init(client: S3Client, name: String, token: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.name = name
        self.prefix = ".backupd-check-\(token)/"
        self.now = now
    }

    /// Runs every step and returns the report.
    public func run() async -> CheckReport {
        var steps: [CheckStep] = []
        var createdKeys: [String] = []
        var openUploads: [(key: String, id: String)] = []
        func step(_ name: String, needs: Bool = true, _ body: () async throws -> String) async -> Bool {
            guard needs else {
                steps.append(CheckStep(name: name, outcome: .skipped("needs an earlier step that failed")))
                return false
            }
            do {
                steps.append(CheckStep(name: name, outcome: .ok(try await body())))
                return true
            } catch {
                steps.append(CheckStep(name: name, outcome: .failed("\(error)")))
                return false
            }
        }
        let settings = client.settings
        let target = "\(settings.endpoint.absoluteString), bucket \(settings.bucket), region \(settings.region)"

        let reached = await step("Endpoint") {
            let started = now()
            let (status, serverDate) = try await client.probe()
            let elapsed = now().timeIntervalSince(started)
            var detail = "HTTP \(status) in \(Int(elapsed * 1000)) ms"
            if let serverDate {
                let skew = serverDate.timeIntervalSince(started.addingTimeInterval(elapsed / 2))
                if abs(skew) > DestinationChecker.maximumSkew {
                    throw S3Error.requestTimeTooSkewed(skewSeconds: skew)
                }
                detail += String(format: ", clock skew %+.1f s", skew)
            } else {
                detail += ", no Date header to measure clock skew"
            }
            return detail
        }

        let payload = Array("backupd check \(prefix)\n".utf8) + [UInt8](repeating: 0x2A, count: 1024)
        let objectKey = prefix + "object"
        let put = await step("PutObject", needs: reached) {
            _ = try await S3Client.withBody(payload) { try await client.putObject(key: objectKey, body: $0, metadata: ["purpose": "backupd-check"]) }
            createdKeys.append(objectKey)
            return "\(objectKey) (\(payload.count) bytes)"
        }

        let multipartKey = prefix + "multipart"
        var uploadID = ""
        let created = await step("CreateMultipartUpload", needs: reached) {
            uploadID = try await client.createMultipartUpload(key: multipartKey)
            openUploads.append((multipartKey, uploadID))
            return multipartKey
        }
        var etag = ""
        let uploaded = await step("UploadPart", needs: created) {
            etag = try await S3Client.withBody(payload) {
                try await client.uploadPart(key: multipartKey, uploadID: uploadID, number: 1, body: $0, sha256: SHA256.hex(SHA256.hash($0)))
            }
            return "part 1 (\(payload.count) bytes)"
        }
        _ = await step("CompleteMultipartUpload", needs: uploaded) {
            try await client.completeMultipartUpload(key: multipartKey, uploadID: uploadID, parts: [(number: 1, etag: etag)])
            openUploads.removeAll { $0.id == uploadID }
            createdKeys.append(multipartKey)
            return "\(multipartKey) stored"
        }

        _ = await step("HeadObject", needs: put) {
            guard let head = try await client.headObject(key: objectKey) else {
                throw S3Error.invalidResponse(operation: "HeadObject", detail: "\(objectKey) not found right after PutObject")
            }
            guard head.size == Int64(payload.count) else {
                throw S3Error.invalidResponse(operation: "HeadObject", detail: "size \(head.size), expected \(payload.count)")
            }
            return "size \(head.size), metadata \(head.metadata.isEmpty ? "missing" : "present")"
        }
        _ = await step("GetObject", needs: put) {
            let collected = BytesBox()
            try await client.getObject(key: objectKey) { collected.value.append(contentsOf: $0) }
            let got = collected.value
            guard got == payload else {
                throw S3Error.invalidResponse(operation: "GetObject", detail: "read \(got.count) bytes that differ from the \(payload.count) written")
            }
            return "\(got.count) bytes, content matches"
        }
        _ = await step("ListObjectsV2", needs: reached) {
            let keys = try await client.listObjects(prefix: prefix).map(\.key)
            let missing = createdKeys.filter { !keys.contains($0) }
            guard missing.isEmpty else {
                throw S3Error.invalidResponse(operation: "ListObjectsV2", detail: "does not list \(missing.joined(separator: ", "))")
            }
            return "\(keys.count) objects under \(prefix)"
        }

        let abortKey = prefix + "aborted"
        var abortID = ""
        let second = await step("CreateMultipartUpload (to abort)", needs: reached) {
            abortID = try await client.createMultipartUpload(key: abortKey)
            openUploads.append((abortKey, abortID))
            return abortKey
        }
        _ = await step("ListMultipartUploads", needs: second) {
            let uploads = try await client.listMultipartUploads(prefix: prefix)
            guard uploads.contains(where: { $0.uploadID == abortID }) else {
                throw S3Error.invalidResponse(operation: "ListMultipartUploads", detail: "the open upload \(abortKey) is not listed")
            }
            return "\(uploads.count) open under \(prefix)"
        }
        _ = await step("AbortMultipartUpload", needs: second) {
            try await client.abortMultipartUpload(key: abortKey, uploadID: abortID)
            openUploads.removeAll { $0.id == abortID }
            return "upload of \(abortKey) aborted"
        }

        _ = await step("DeleteObjects", needs: !createdKeys.isEmpty) {
            try await client.deleteObjects(keys: createdKeys)
            let left = try await client.listObjects(prefix: prefix)
            guard left.isEmpty else {
                throw S3Error.invalidResponse(operation: "DeleteObjects", detail: "\(left.count) objects still under \(prefix)")
            }
            let count = createdKeys.count
            createdKeys = []
            return "\(count) objects deleted"
        }

        // Best effort: whatever a failed step left behind.
        for upload in openUploads { try? await client.abortMultipartUpload(key: upload.key, uploadID: upload.id) }
        if !createdKeys.isEmpty { try? await client.deleteObjects(keys: createdKeys) }
        return CheckReport(destination: name, target: target, steps: steps)
    }
}
