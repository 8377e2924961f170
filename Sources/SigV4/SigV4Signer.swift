import Foundation
import Synchronization

/// AWS Signature Version 4 for one region and service, with the S3 rules: the path is encoded
/// once and never normalised, and `x-amz-content-sha256` is always sent (unless turned off for
/// the generic test suite). Pure: the date is a parameter.
public final class SigV4Signer: Sendable {
    /// The credentials used.
    public let credentials: SigV4Credentials
    /// The signing region (`us-east-1`, `auto`, `default` on Ceph ...).
    public let region: String
    /// The service name, `s3`.
    public let service: String
    /// Whether `x-amz-content-sha256` is added (S3 requires it; other services do not use it).
    public let sendsContentHash: Bool

    /// The signing key depends only on the day; it is derived once per day with four HMACs.
    private let keyCache = Mutex<(day: String, key: [UInt8])?>(nil)

    /// A signer for `region` and `service`.
    public init(credentials: SigV4Credentials, region: String, service: String = "s3", sendsContentHash: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.sendsContentHash = sendsContentHash
    }

    /// Signs `request` as of `date`.
    public func sign(_ request: SigV4Request, date: Date) -> SignedRequest {
        let stamp = SigV4Signer.timestamp(date)
        let day = String(stamp.prefix(8))

        var headers = request.headers
        headers.append((name: "host", value: request.host))
        headers.append((name: "x-amz-date", value: stamp))
        if sendsContentHash { headers.append((name: "x-amz-content-sha256", value: request.payloadHash)) }
        if let token = credentials.sessionToken { headers.append((name: "x-amz-security-token", value: token)) }

        let path = URIEncoding.encode(request.path.isEmpty ? "/" : request.path, keepSlash: true)
        let query = SigV4Signer.canonicalQuery(request.query)
        let (canonicalHeaders, signedHeaders) = SigV4Signer.canonicalHeaders(headers)

        let canonicalRequest = [
            request.method, path, query, canonicalHeaders, signedHeaders, request.payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", stamp, scope, SHA256.hex(SHA256.hash(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        let signature = SHA256.hex(SHA256.hmac(key: signingKey(day: day), message: Array(stringToSign.utf8)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"

        // What is sent is what was signed: the trimmed values, the encoded path and query.
        var sent = headers.map { (name: $0.name, value: SigV4Signer.trimmed($0.value)) }
        sent.append((name: "Authorization", value: authorization))
        return SignedRequest(
            pathAndQuery: query.isEmpty ? path : path + "?" + query, headers: sent,
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, authorization: authorization)
    }

    /// The key for `day` (`yyyyMMdd`), from the cache when the day has not changed.
    func signingKey(day: String) -> [UInt8] {
        if let cached = keyCache.withLock({ $0 }), cached.day == day { return cached.key }
        var key = SHA256.hmac(key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: Array(day.utf8))
        for part in [region, service, "aws4_request"] {
            key = SHA256.hmac(key: key, message: Array(part.utf8))
        }
        keyCache.withLock { $0 = (day, key) }
        return key
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// Names and values encoded, sorted by name then value, joined with `&`; `uploads` becomes `uploads=`.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        var pairs: [(String, String)] = []
        for item in query {
            pairs.append((URIEncoding.encode(item.name, keepSlash: false), URIEncoding.encode(item.value, keepSlash: false)))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// The canonical header block (lower-case names, trimmed values, sorted, one per line with a
    /// trailing newline) and the `;`-joined signed header names. Repeated names are joined by `,`.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for header in headers {
            merged[header.name.lowercased(), default: []].append(trimmed(header.value))
        }
        let names = merged.keys.sorted()
        var block = ""
        for name in names {
            block += name + ":" + merged[name]!.joined(separator: ",") + "\n"
        }
        return (block, names.joined(separator: ";"))
    }

    /// Leading and trailing spaces removed, runs of inner spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for ch in value {
            if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(ch)
            }
        }
        return out
    }
}
