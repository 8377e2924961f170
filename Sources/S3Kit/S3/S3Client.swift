import BackupCore
import Foundation
import Logging
import SigV4
import Synchronization

/// An S3 API client for one bucket: signs every request (afresh on every retry), retries what can
/// succeed on a retry, and turns S3's errors into `S3Error`s. Async: requests go through the
/// transport's bridge and stop at once when the calling task is cancelled; safe to share.
public final class S3Client: Sendable {
    /// Where and as whom.
    public let settings: S3Settings
    let transport: any HTTPTransport
    let signer: SigV4Signer
    let now: @Sendable () -> Date
    let sleep: @Sendable (Double) async throws -> Void
    let jitter: @Sendable () -> Double
    let logger: Logger
    private let retried = Atomic<Int>(0)

    /// A client over `transport`; `now`, `sleep` and `jitter` are the clock, the backoff wait (which
    /// throws when the task is cancelled) and the random source (tests pass fixed ones).
    public init(
        settings: S3Settings, transport: any HTTPTransport, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.settings = settings
        self.transport = transport
        self.signer = SigV4Signer(credentials: settings.credentials, region: settings.region)
        self.logger = logger
        self.now = now
        self.sleep = sleep
        self.jitter = jitter
    }

    /// Requests this client retried so far (each new try after a failed one counts once): a run
    /// opens its own client per destination, so this is the run's retries there.
    public var retries: Int { retried.load(ordering: .relaxed) }

    /// The endpoint as a user wrote it, for messages.
    var endpointText: String { settings.endpoint.absoluteString }

    /// Sends one S3 request with retries and returns the 2xx (or `accept`ed) response.
    ///
    /// `operation` names the API call in errors. `body` is read in place on every try.
    /// Retries (re-signed) go on while the policy's time budget lasts (`budget` overrides it for
    /// this call); cancelling the task ends the request in flight and any backoff wait at once,
    /// throwing `S3Error.cancelled` with the task's `StopReason`.
    func perform(
        _ operation: String, method: String, key: String?, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        payloadHash: String? = nil, accept: Set<Int> = [],
        sink: ((UnsafeRawBufferPointer) throws -> Void)? = nil, budget: Double? = nil
    ) async throws -> HTTPResponse {
        try await perform(
            operation, method: method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash, accept: accept,
            sink: sink, budget: budget, decode: { response throws(S3ResponseProblem) in response })
    }

    /// `perform`, with the 2xx body read by `decode` inside the retry loop: a body it refuses
    /// (`.malformed`: cut short, garbage, a required element missing) is retried like a 5xx and
    /// then fails as `S3Error.malformedResponse`; a 2xx whose root is `<Error>` is that S3 error.
    func perform<T>(
        _ operation: String, method: String, key: String?, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        payloadHash: String? = nil, accept: Set<Int> = [],
        sink: ((UnsafeRawBufferPointer) throws -> Void)? = nil, budget: Double? = nil,
        decode: (HTTPResponse) throws(S3ResponseProblem) -> T
    ) async throws -> T {
        let hash = payloadHash ?? SHA256.hex(SHA256.hash(body))
        var policy = settings.retry
        if let budget { policy.budget = budget }
        let headers = S3Client.withoutChecksumHeaders(headers)
        var attempt = 0
        var sinkBytes = 0
        let countingSink: ((UnsafeRawBufferPointer) throws -> Void)? = sink.map { sink in
            { chunk in
                sinkBytes += chunk.count
                try sink(chunk)
            }
        }
        let started = now()
        var waited: Double = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw S3Error.cancelled(reason: StopReason.text) }
            let signed = signer.sign(
                SigV4Request(
                    method: method, host: settings.hostHeader, path: settings.path(key: key), query: query,
                    headers: headers, payloadHash: hash),
                date: now())
            let request = HTTPRequest(method: method, url: settings.origin + signed.pathAndQuery, headers: signed.headers)
            let failure: S3Error
            let retryable: Bool
            do {
                let response = try await transport.transfer(request, body: body, sink: countingSink)
                if (200..<300).contains(response.status) || accept.contains(response.status) {
                    do {
                        return try decode(response)
                    } catch .errorBody(let error) {
                        // S3 may answer 200 and report the failure in the body; InternalError is worth a retry.
                        failure = map(error: error, status: response.status, response: response, operation: operation, key: key, query: query)
                        retryable = ["InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout"].contains(error.code)
                    } catch .malformed(let detail) {
                        failure = .malformedResponse(operation: operation, bucket: settings.bucket, detail: "HTTP \(response.status): \(detail)")
                        retryable = true
                    }
                } else {
                    let error = S3ErrorResponse(xml: response.text)
                    failure = map(error: error, status: response.status, response: response, operation: operation, key: key, query: query)
                    retryable = S3Client.isRetryable(status: response.status, code: error?.code)
                }
            } catch HTTPTransportError.abandoned {
                throw S3Error.cancelled(reason: StopReason.text)
            } catch is CancellationError {
                throw S3Error.cancelled(reason: StopReason.text)
            } catch let error as HTTPTransportError {
                failure = .unreachable(endpoint: endpointText, operation: operation, cause: error)
                retryable = error.isRetryable
            }
            // A streamed download cannot be retried here once bytes reached the sink (the ranged
            // download resumes it from the break instead).
            guard retryable, sinkBytes == 0 else { throw failure }
            let delay = policy.delay(retry: attempt, jitter: jitter())
            // Backoff already waited counts even when the clock says less (an injected sleep in tests),
            // so the budget always ends.
            let elapsed = max(now().timeIntervalSince(started), waited)
            guard policy.allows(retry: attempt, elapsed: elapsed, delay: delay) else {
                if attempt > 1 {
                    logger.warning(
                        "S3 request failed, retry budget spent",
                        metadata: [
                            "s3.operation": "\(operation)", "s3.attempts": "\(attempt)", "s3.error": "\(failure)",
                            "s3.elapsed": "\(String(format: "%.1f", elapsed))",
                        ])
                }
                throw failure
            }
            logger.info(
                "S3 request failed, retrying",
                metadata: [
                    "s3.operation": "\(operation)", "s3.attempt": "\(attempt)", "s3.error": "\(failure)",
                    "s3.retry_in": "\(String(format: "%.2f", delay))",
                ])
            waited += delay
            retried.add(1, ordering: .relaxed)
            do {
                try await sleep(delay)
            } catch {
                throw S3Error.cancelled(reason: StopReason.text)
            }
            if Task.isCancelled { throw S3Error.cancelled(reason: StopReason.text) }
        }
    }

    /// Runs `body` over a copy of `bytes` that stays put across suspension points (a request body
    /// is read in place by the transport; `withUnsafeBytes` cannot await).
    package static func withBody<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) async throws -> T) async throws -> T {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { copy.deallocate() }
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        return try await body(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]))
    }

    /// Headers of S3's flexible checksums, which backupd never sends: several providers (Backblaze
    /// B2 in 2025, older MinIO, R2 for some algorithms) reject them, and SigV4's payload hash already
    /// covers every body.
    static func isChecksumHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("x-amz-checksum-") || lower == "x-amz-sdk-checksum-algorithm"
    }

    /// `headers` without any flexible-checksum header.
    static func withoutChecksumHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        headers.filter { !isChecksumHeader($0.name) }
    }

    /// 5xx, 429 and S3's throttling and timeout codes are transient; other 4xx are not.
    static func isRetryable(status: Int, code: String?) -> Bool {
        // 501: the provider lacks the operation (GCS without DeleteObjects); no retry changes that.
        if status == 501 || code == "NotImplemented" { return false }
        if status >= 500 || status == 429 { return true }
        return ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"].contains(code ?? "")
    }

    /// Turns an error response into the `S3Error` a user can act on.
    func map(
        error: S3ErrorResponse?, status: Int, response: HTTPResponse, operation: String, key: String?,
        query: [(name: String, value: String)] = []
    ) -> S3Error {
        let code = error?.code ?? ""
        let bucket = settings.bucket
        switch code {
        case "InvalidAccessKeyId":
            return .invalidAccessKeyId(endpoint: endpointText, accessKeyHint: String(settings.credentials.accessKeyId.prefix(4)))
        case "SignatureDoesNotMatch":
            return .signatureDoesNotMatch(endpoint: endpointText, operation: operation)
        case "RequestTimeTooSkewed":
            return .requestTimeTooSkewed(skewSeconds: skew(of: response))
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
            return .wrongRegion(bucket: bucket, configured: settings.region, actual: error?.region ?? response.headers["x-amz-bucket-region"])
        case "NoSuchBucket":
            return .noSuchBucket(bucket: bucket, endpoint: endpointText)
        case "AccessDenied", "AllAccessDisabled":
            return .accessDenied(operation: operation, bucket: bucket, key: key, message: error?.message ?? "")
        case "NoSuchUpload":
            return .noSuchUpload(key: key ?? "", uploadID: query.first { $0.name == "uploadId" }?.value ?? "")
        default:
            if status == 301, let region = response.headers["x-amz-bucket-region"] {
                return .wrongRegion(bucket: bucket, configured: settings.region, actual: region)
            }
            if status == 403 && error == nil {
                return .accessDenied(operation: operation, bucket: bucket, key: key, message: "")
            }
            return .service(
                operation: operation, status: status, code: code.isEmpty ? "HTTP \(status)" : code,
                message: error?.message ?? "", requestID: error?.requestID ?? response.headers["x-amz-request-id"])
        }
    }

    /// Seconds the service's clock is ahead of ours, from a response's `Date` header.
    func skew(of response: HTTPResponse) -> Double? {
        guard let text = response.headers["date"], let serverDate = HTTPDate.parse(text) else { return nil }
        return serverDate.timeIntervalSince(now())
    }
}
