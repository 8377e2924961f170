import CCurl
import Foundation
import Synchronization

/// `HTTPTransport` over libcurl: keep-alive connections reused through a pool of easy handles,
/// TLS verified (with an optional CA file), connect and low-speed timeouts, bodies read in place.
public final class CurlTransport: HTTPTransport {
    /// Connection and timeout settings.
    public struct Options: Sendable {
        /// A PEM file of certificate authorities to trust instead of the system's.
        public var caFile: String?
        /// Seconds allowed to establish a connection.
        public var connectTimeout: Int = 10
        /// A transfer slower than `lowSpeedBytes` per second for `lowSpeedSeconds` is abandoned.
        public var lowSpeedBytes: Int = 1
        /// The stall limit: seconds without (almost) a byte moving before a request is given up
        /// and retried under the retry budget.
        public var lowSpeedSeconds: Int = 30
        /// Seconds allowed for the whole exchange (0: no limit, for long uploads).
        public var totalTimeout: Int = 0

        /// Default options with an optional CA file.
        public init(caFile: String? = nil) { self.caFile = caFile }
    }

    /// The upload buffer for large bodies (libcurl's largest is 2 MiB): fewer callbacks and sends per part.
    static let uploadBufferSize = 1 << 20

    private let options: Options
    /// Idle easy handles; each keeps its connection cache, so taking one reuses a warm connection.
    private let idle = Mutex<[EasyHandle]>([])

    /// A transport with `options`.
    public init(options: Options = Options()) {
        CurlTransport.globalInit
        self.options = options
    }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(handle.raw) }
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?
    ) throws -> HTTPResponse {
        try send(request, body: body, sink: sink, abandon: { false })
    }

    public func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?,
        abandon: @escaping @Sendable () -> Bool
    ) throws -> HTTPResponse {
        let easy = idle.withLock { $0.popLast() } ?? EasyHandle(raw: curl_easy_init()!)
        defer { idle.withLock { $0.append(easy) } }
        let handle = easy.raw
        curl_easy_reset(handle)

        let exchange = Exchange(body: body, sink: sink, abandon: abandon)
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for header in request.headers {
            // libcurl drops a header written "Name:" (that form removes a default header); "Name;"
            // sends it with an empty value, which the signature covers.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            headerList = curl_slist_append(headerList, line)
        }
        // No `Expect: 100-continue` round trip; no form content type on POST.
        headerList = curl_slist_append(headerList, "Expect:")
        headerList = curl_slist_append(headerList, "Content-Type:")
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            bd_curl_setopt_str(handle, CURLOPT_URL, request.url)
            bd_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            bd_curl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1)
            bd_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
            bd_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedBytes)
            bd_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedSeconds)
            bd_curl_setopt_long(handle, CURLOPT_TIMEOUT, options.totalTimeout)
            bd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            bd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            bd_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
            if let caFile = options.caFile { bd_curl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
            bd_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            bd_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
            bd_curl_setopt_header_cb(handle, curlHeader)
            bd_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
            bd_curl_setopt_write_cb(handle, curlWrite)
            bd_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
            // Called at least once a second, also while stalled: the way a cancelled run ends a request.
            bd_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            bd_curl_setopt_xferinfo_cb(handle, curlProgress)
            bd_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context)

            switch request.method {
            case "GET": break
            case "HEAD": bd_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
            case "PUT":
                bd_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
                bd_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.count))
            case "POST":
                bd_curl_setopt_long(handle, CURLOPT_POST, 1)
                bd_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            default:
                bd_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
            }
            if request.method == "PUT" || request.method == "POST" {
                // libcurl's 64 KiB default means a read callback and a send(2) per 64 KiB of a part.
                if body.count > 64 * 1024 { bd_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, CurlTransport.uploadBufferSize) }
                bd_curl_setopt_read_cb(handle, curlRead)
                bd_curl_setopt_ptr(handle, CURLOPT_READDATA, context)
                // libcurl resends a body itself when a reused connection turns out dead.
                bd_curl_setopt_seek_cb(handle, curlSeek)
                bd_curl_setopt_ptr(handle, CURLOPT_SEEKDATA, context)
            }
            return curl_easy_perform(handle)
        }
        withExtendedLifetime(exchange) {}

        if let sinkError = exchange.sinkError { throw sinkError }
        if code == CURLE_ABORTED_BY_CALLBACK {
            throw HTTPTransportError.abandoned(host: URLComponents(string: request.url)?.host ?? request.url)
        }
        guard code == CURLE_OK else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
            throw CurlTransport.error(code: code, host: URLComponents(string: request.url)?.host ?? request.url, detail: detail)
        }
        var status = 0
        bd_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: exchange.headers, body: exchange.collected)
    }

    /// Sorts libcurl's result codes into what a user (and the retry loop) can act on.
    static func error(code: CURLcode, host: String, detail: String) -> HTTPTransportError {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .nameResolution(host: host, detail: detail)
        case CURLE_COULDNT_CONNECT:
            return .connect(host: host, detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE:
            return .tls(host: host, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            // A connect that timed out is unreachable; a transfer that stalled is a lost connection.
            return detail.lowercased().contains("connect") ? .connect(host: host, detail: detail)
                : .connectionLost(host: host, detail: detail)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_SEND_FAIL_REWIND, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .connectionLost(host: host, detail: detail)
        default:
            return .other(host: host, detail: detail)
        }
    }
}

/// A libcurl easy handle; only one thread uses it at a time (it is taken out of the pool).
private struct EasyHandle: @unchecked Sendable {  // unchecked: a C pointer, used by one thread at a time (taken out of the pool)
    let raw: UnsafeMutableRawPointer
}

/// The state of one transfer, reached from libcurl's C callbacks through their user pointer.
private final class Exchange {
    let body: UnsafeRawBufferPointer
    var offset = 0
    let sink: ((UnsafeRawBufferPointer) throws -> Void)?
    var sinkError: Error?
    var headers: [String: String] = [:]
    var status = 0
    var collected: [UInt8] = []
    let abandon: @Sendable () -> Bool

    init(body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?, abandon: @escaping @Sendable () -> Bool) {
        self.body = body
        self.sink = sink
        self.abandon = abandon
    }
}

private func exchange(_ pointer: UnsafeMutableRawPointer?) -> Exchange {
    Unmanaged<Exchange>.fromOpaque(pointer!).takeUnretainedValue()
}

private func curlProgress(_ user: UnsafeMutableRawPointer?, _: curl_off_t, _: curl_off_t, _: curl_off_t, _: curl_off_t) -> Int32 {
    exchange(user).abandon() ? 1 : 0
}

private func curlRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let state = exchange(user)
    let n = min(size * count, state.body.count - state.offset)
    guard n > 0, let buffer, let base = state.body.baseAddress else { return 0 }
    UnsafeMutableRawPointer(buffer).copyMemory(from: base + state.offset, byteCount: n)
    state.offset += n
    return n
}

private func curlSeek(_ user: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let state = exchange(user)
    guard origin == SEEK_SET, offset >= 0, Int(offset) <= state.body.count else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    state.offset = Int(offset)
    return Int32(CURL_SEEKFUNC_OK)
}

private func curlWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let state = exchange(user)
    let n = size * count
    guard n > 0, let data else { return n }
    let chunk = UnsafeRawBufferPointer(start: data, count: n)
    if let sink = state.sink, (200..<300).contains(state.status) {
        do { try sink(chunk) } catch {
            state.sinkError = error
            return 0  // makes libcurl stop with CURLE_WRITE_ERROR
        }
    } else {
        state.collected.append(contentsOf: chunk)
    }
    return n
}

private func curlHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let state = exchange(user)
    let n = size * count
    guard let data else { return n }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new status line (after a 100 Continue or a redirect) starts a new header block.
        state.headers = [:]
        let parts = line.split(separator: " ")
        state.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        state.headers[name] = value
    }
    return n
}
