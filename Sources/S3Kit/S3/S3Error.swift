import Foundation

/// Why an S3 operation failed, worded so that the user knows what to fix. Never holds a secret.
public enum S3Error: Error, Sendable, CustomStringConvertible {
    /// No HTTP response: DNS, refused connection, TLS, a broken connection after all retries.
    case unreachable(endpoint: String, operation: String, cause: HTTPTransportError)
    /// The access key id is unknown to the service.
    case invalidAccessKeyId(endpoint: String, accessKeyHint: String)
    /// The signature did not verify: almost always the wrong secret key.
    case signatureDoesNotMatch(endpoint: String, operation: String)
    /// The local clock and the service's differ by more than S3 allows (15 minutes).
    case requestTimeTooSkewed(skewSeconds: Double?)
    /// The bucket lives in another region than the configured one.
    case wrongRegion(bucket: String, configured: String, actual: String?)
    /// The bucket does not exist.
    case noSuchBucket(bucket: String, endpoint: String)
    /// The credentials lack the permission for `operation`.
    case accessDenied(operation: String, bucket: String, key: String?, message: String)
    /// The multipart upload is gone (completed or aborted elsewhere).
    case noSuchUpload(key: String, uploadID: String)
    /// Any other S3 error response.
    case service(operation: String, status: Int, code: String, message: String, requestID: String?)
    /// A response S3 should not have sent (no body, unparsable XML, a wrong size after upload).
    case invalidResponse(operation: String, detail: String)
    /// A 2xx answer whose body is not the well-formed XML the operation returns (cut short, garbage,
    /// the wrong document, a required element missing): retried, then this; never read as empty.
    case malformedResponse(operation: String, bucket: String, detail: String)
    /// A paginated listing that broke S3's rules (a repeated or missing continuation token, keys out
    /// of order or repeated, more pages than any sane listing has): nothing is taken from it.
    case brokenListing(operation: String, bucket: String, scope: String, page: Int, detail: String)
    /// A stream got longer than the destination's part limit allows.
    case objectTooLarge(key: String, maxParts: Int, bytes: Int64)
    /// The run was cancelled (or timed out) while a request was in flight or waiting to retry.
    case cancelled(reason: String)

    /// Whether the error is the missing-object kind (`NoSuchKey`, a 404 on HEAD).
    public var isNotFound: Bool {
        if case .service(_, let status, let code, _, _) = self { return status == 404 || code == "NoSuchKey" }
        return false
    }

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let operation, let cause):
            return "\(operation) could not reach \(endpoint): \(cause)"
        case .invalidAccessKeyId(let endpoint, let hint):
            return "\(endpoint) does not know the access key id \(hint)…: check accessKeyId (and that the key belongs to this provider and is active)"
        case .signatureDoesNotMatch(let endpoint, let operation):
            return "\(endpoint) rejected the signature of \(operation) (SignatureDoesNotMatch): the access key is known, so check the secret access key (secretAccessKey)"
        case .requestTimeTooSkewed(let skew):
            let measured = skew.map { String(format: "this machine's clock is %+.0f s off the service's", -$0) } ?? "the clocks differ"
            return "the service refused the request time (RequestTimeTooSkewed): \(measured); S3 allows 15 minutes. Synchronise the clock (e.g. systemd-timesyncd or chrony)"
        case .wrongRegion(let bucket, let configured, let actual):
            if let actual {
                return "bucket \(bucket) is in region \(actual), not \(configured): set the destination's region to \"\(actual)\""
            }
            return "bucket \(bucket) is not in region \(configured): set the destination's region to the bucket's region"
        case .noSuchBucket(let bucket, let endpoint):
            return "bucket \(bucket) does not exist at \(endpoint): create it, or fix the destination's bucket (and endpoint)"
        case .accessDenied(let operation, let bucket, let key, let message):
            let target = key.map { "\(bucket)/\($0)" } ?? bucket
            return "access denied for \(operation) on \(target)\(message.isEmpty ? "" : " (\(message))"): grant the key the s3:\(S3Error.permission(for: operation)) permission on this bucket"
        case .noSuchUpload(let key, let uploadID):
            return "multipart upload \(uploadID) of \(key) no longer exists (completed or aborted elsewhere, or removed by a lifecycle rule)"
        case .service(let operation, let status, let code, let message, let requestID):
            let id = requestID.map { ", request id \($0)" } ?? ""
            return "\(operation) failed with HTTP \(status) \(code)\(message.isEmpty ? "" : ": \(message)")\(id)"
        case .invalidResponse(let operation, let detail):
            return "\(operation) got an unexpected response: \(detail)"
        case .malformedResponse(let operation, let bucket, let detail):
            return "\(operation) on bucket \(bucket) answered with a body backupd cannot use: \(detail); nothing was taken from it (a listing that is not read whole deletes nothing). Check the endpoint, or a proxy in front of it"
        case .brokenListing(let operation, let bucket, let scope, let page, let detail):
            return "\(operation) of s3://\(bucket)/\(scope) broke S3's pagination rules on page \(page): \(detail); the listing is refused and nothing is deleted on it. Check the endpoint, or a proxy in front of it"
        case .objectTooLarge(let key, let maxParts, let bytes):
            return "\(key) reached \(bytes) bytes, more than \(maxParts) parts can hold; raise partSizeMiB or maxParts for this destination"
        case .cancelled(let reason):
            return "request cancelled (\(reason)); an open multipart upload is aborted, or kept as abort pending for the sweeper"
        }
    }

    /// The IAM action behind an S3 API operation, for `accessDenied` advice.
    static func permission(for operation: String) -> String {
        switch operation {
        case "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject", "UploadPartCopy": return "PutObject"
        case "AbortMultipartUpload": return "AbortMultipartUpload"
        case "ListParts": return "ListMultipartUploadParts"
        case "ListMultipartUploads": return "ListBucketMultipartUploads"
        case "ListObjectsV2": return "ListBucket"
        case "HeadObject", "GetObject": return "GetObject"
        case "DeleteObjects": return "DeleteObject"
        default: return operation
        }
    }
}
