// Streams N GiB of generated data through the multipart uploader to an S3 server and prints
// throughput, CPU seconds per GiB and peak RSS. With --generate it only writes the same stream to
// stdout (to feed `aws s3 cp -` for comparison).
// With --download it fetches the key instead (the restore path: ranged GETs in parallel, resumable)
// and discards the bytes. BACKUPD_BENCH_CA_FILE trusts a private CA (the HTTPS run through nginx).
// Usage: s3-bench --gib N [--part-mib 8] [--in-flight 4] [--key K]   (server from BACKUPD_TEST_S3_*)
//        s3-bench --download --key K [--in-flight 4]
//        s3-bench --generate --gib N
import BackupCore
import BackupKit
import Foundation
import Synchronization
import Logging
import S3Kit
import SigV4

/// A fast generated stream: a 1 MiB block of pseudo-random bytes, varied per block so parts differ.
final class GeneratedStream: ByteSource {
    let total: Int
    var produced = 0
    var block = [UInt8](repeating: 0, count: 1 << 20)

    init(total: Int) {
        self.total = total
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<block.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            block[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let offset = produced % block.count
        let n = min(buffer.count, total - produced, block.count - offset)
        guard n > 0 else { return 0 }
        if offset == 0 { block[0] = UInt8(truncatingIfNeeded: produced >> 20) }
        block.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        produced += n
        return n
    }
}

/// Wraps the real transport and adds up the time spent in server-side copies (the metadata step).
final class TimingTransport: HTTPTransport, Sendable {
    let inner: any HTTPTransport
    private let copyTime = Mutex(0.0)
    var copySeconds: Double { copyTime.withLock { $0 } }
    init(inner: any HTTPTransport) { self.inner = inner }
    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let start = Date()
        defer {
            if request.headers.contains(where: { $0.name == "x-amz-copy-source" }) {
                let spent = Date().timeIntervalSince(start)
                copyTime.withLock { $0 += spent }
            }
        }
        return try inner.send(request, body: body, sink: sink)
    }
}

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("s3-bench: \(message)\n".utf8))
    exit(1)
}

let gib = Double(option("--gib") ?? "1") ?? 1
let total = Int(gib * Double(1 << 30))

if CommandLine.arguments.contains("--sha") {
    // SHA-256 throughput of libcrypto on this machine, one core.
    let data = [UInt8](repeating: 0x5A, count: 64 << 20)
    let rounds = max(1, Int(gib * 16))
    let start = Date()
    let hasher = SHA256Hasher()
    for _ in 0..<rounds { data.withUnsafeBytes { hasher.update($0) } }
    _ = hasher.finalize()
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "s3-bench: SHA-256 (libcrypto) %.2f GB/s over %d MiB", Double(rounds * data.count) / seconds / 1e9, rounds * 64))
    exit(0)
}

if CommandLine.arguments.contains("--generate") {
    let stream = GeneratedStream(total: total)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
        if n == 0 { break }
        var written = 0
        while written < n {
            let m = buffer.withUnsafeBytes { write(1, $0.baseAddress! + written, n - written) }
            if m <= 0 { fail("stdout closed") }
            written += m
        }
    }
    exit(0)
}

let env = ProcessInfo.processInfo.environment
guard let endpoint = env["BACKUPD_TEST_S3_ENDPOINT"].flatMap(URL.init(string:)), let accessKey = env["BACKUPD_TEST_S3_ACCESS_KEY"],
    let secretKey = env["BACKUPD_TEST_S3_SECRET_KEY"]
else { fail("set BACKUPD_TEST_S3_ENDPOINT/REGION/ACCESS_KEY/SECRET_KEY (eval \"$(scripts/testenv/s3.sh start DIR)\")") }
let bucket = option("--bucket") ?? "s3-bench"
let partMiB = Int(option("--part-mib") ?? "8") ?? 8
let inFlight = Int(option("--in-flight") ?? "4") ?? 4
let key = option("--key") ?? "bench/\(getpid())"

var logger = Logger(label: "s3-bench")
logger.logLevel = .warning
let settings = S3Settings(
    endpoint: endpoint, region: env["BACKUPD_TEST_S3_REGION"] ?? "us-east-1", bucket: bucket,
    credentials: SigV4Credentials(accessKeyId: accessKey, secretAccessKey: secretKey))
let timing = TimingTransport(inner: CurlTransport(options: .init(caFile: env["BACKUPD_BENCH_CA_FILE"])))
let client = S3Client(settings: settings, transport: timing, logger: logger)
let store = S3ObjectStore(
    client: client, plan: PartSizePlan(firstPartSize: partMiB << 20, maxParts: 10_000), partsInFlight: inFlight, logger: logger)

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

if CommandLine.arguments.contains("--download") {
    let cpuStart = cpuSeconds()
    let start = Date()
    final class Count: Sendable {
        let bytes = Atomic<Int>(0)
    }
    let count = Count()
    do {
        try await store.download(key: key) { count.bytes.add($0.count, ordering: .relaxed) }
    } catch {
        fail("\(error)")
    }
    let bytes = count.bytes.load(ordering: .relaxed)
    let elapsed = Date().timeIntervalSince(start)
    let cpu = cpuSeconds() - cpuStart
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    let gibs = Double(bytes) / Double(1 << 30)
    print(String(format: "s3-bench: downloaded %.2f GiB in %.2f s = %.0f MiB/s, %d ranged GETs in flight", gibs, elapsed, Double(bytes) / Double(1 << 20) / elapsed, inFlight))
    print(String(format: "s3-bench: CPU %.2f s (%.2f s per GiB), peak RSS %.0f MiB", cpu, cpu / max(gibs, 0.001), Double(usage.ru_maxrss) / 1024))
    exit(0)
}

let cpuStart = cpuSeconds()
let start = Date()
let receipt: UploadReceipt
do {
    receipt = try await store.upload(
        key: key, from: GeneratedStream(total: total), metadata: ["bench": "s3-bench"], uploadStarted: { _ in })
} catch {
    fail("\(error)")
}
let elapsed = Date().timeIntervalSince(start)
let cpu = cpuSeconds() - cpuStart
var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
let mib = Double(receipt.size) / Double(1 << 20)
print(String(format: "s3-bench: %.2f GiB in %.2f s = %.0f MiB/s, %d parts of %d MiB, %d in flight", gib, elapsed, mib / elapsed, receipt.partCount, partMiB, inFlight))
print(String(format: "s3-bench: of which %.2f s in the server-side copy that records x-amz-meta-sha256", timing.copySeconds))
print(String(format: "s3-bench: CPU %.2f s (%.2f s per GiB), peak RSS %.0f MiB, sha256 %@", cpu, cpu / max(gib, 0.001), Double(usage.ru_maxrss) / 1024, receipt.sha256))
if CommandLine.arguments.contains("--delete") { try? await store.delete(keys: [key]) }
