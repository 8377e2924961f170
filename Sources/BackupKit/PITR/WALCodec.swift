import BackupCore
import Foundation
import SigV4
import Synchronization

/// How one archived WAL file is stored: a zstd skippable frame recording the file's SHA-256 and
/// size (every zstd decoder skips it, so `zstd -d` still restores the file by hand), then the
/// file as one zstd frame with its checksum, then age when the job is encrypted. A segment is
/// small (16 MiB), so it is encoded in memory, one at a time.
struct WALCodec {
    /// Runs age.
    let launcher: any ProcessLauncher
    /// age's environment.
    let environment: [String: String]

    /// The bytes stored for `raw` (whose SHA-256 is `sha256`): compressed at zstd `level`, and
    /// encrypted to `recipients` when there are any.
    func encode(_ raw: [UInt8], sha256: String, level: Int32, recipients: [String]?, job: String) throws -> [UInt8] {
        let framed = try Self.compress(raw, level: level, after: Self.digestFrame(sha256: sha256, size: raw.count))
        guard let recipients else { return framed }
        let process = try AgeEncryptionSource.launch(recipients: recipients, job: job, launcher: launcher, environment: environment)
        let encryption = AgeEncryptionSource(MemorySource(framed), process: process, job: job)
        do {
            return try Self.drain(encryption, expected: framed.count + 4096)
        } catch {
            encryption.stop()
            throw error
        }
    }

    /// `prefix`, then `raw` as one zstd frame (with its content checksum) at `level`, compressed in
    /// one call into an array sized for the worst case: a segment is archived while PostgreSQL
    /// waits, so no growing buffer and no second copy.
    static func compress(_ raw: [UInt8], level: Int32, after prefix: [UInt8]) throws -> [UInt8] {
        let codec = try ZstdCodec(compressionLevel: level, workers: 0)
        let capacity = prefix.count + ZstdCodec.compressBound(raw.count)
        return try [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
            let out = UnsafeMutableRawBufferPointer(output)
            prefix.withUnsafeBytes { out.copyMemory(from: $0) }
            var produced = prefix.count
            try raw.withUnsafeBytes { input in
                var consumed = 0
                while true {
                    let step = try codec.process(
                        input: UnsafeRawBufferPointer(rebasing: input[consumed...]),
                        output: UnsafeMutableRawBufferPointer(rebasing: out[produced...]), finish: true)
                    consumed += step.consumed
                    produced += step.produced
                    if step.done { break }
                    guard step.consumed > 0 || step.produced > 0 else {
                        throw CodecError.stream(codec: "zstd", detail: "no progress compressing a WAL file")
                    }
                }
            }
            count = produced
        }
    }

    /// The WAL file back from its stored bytes (decrypted with the age `identity` file when
    /// encrypted), checked against the digest and size recorded with it.
    func decode(_ stored: [UInt8], key: String, identity: String?) throws -> (bytes: [UInt8], sha256: String) {
        var compressed = stored
        if key.hasSuffix(".age") {
            guard let identity else { throw WALError.identityRequired(key: key) }
            let collected = Collected()
            let sink = try AgeDecryptingSink(identity: identity, key: key, launcher: launcher, environment: environment) { bytes in collected.bytes.withLock { $0 += bytes } }
            do {
                try stored.withUnsafeBytes { try sink.write($0) }
            } catch {
                sink.abort()
                throw error
            }
            try sink.finish()
            compressed = collected.bytes.withLock { $0 }
        }
        guard let recorded = Self.readDigestFrame(compressed) else {
            throw WALError.corrupt(key: key, detail: "it lacks backupd's digest frame")
        }
        let raw: [UInt8]
        do {
            raw = try Self.drain(CodecSource(MemorySource(compressed), codec: try ZstdCodec(decompressing: ())), expected: max(0, min(recorded.size, ControlServer.walSizeLimit)))
        } catch {
            throw WALError.corrupt(key: key, detail: "\(error)")
        }
        let digest = SHA256.hex(SHA256.hash(raw))
        guard digest == recorded.sha256, raw.count == recorded.size else {
            throw WALError.corrupt(key: key, detail: "its content (\(raw.count) bytes, SHA-256 \(digest.prefix(16))…) is not what was archived (\(recorded.size) bytes, \(recorded.sha256.prefix(16))…)")
        }
        return (raw, digest)
    }

    /// The magic of the skippable frame (0x184D2A5B, little-endian) that records the digest.
    static let frameMagic: [UInt8] = [0x5B, 0x2A, 0x4D, 0x18]

    /// A zstd skippable frame holding `backupd-wal sha256=HEX size=N`.
    static func digestFrame(sha256: String, size: Int) -> [UInt8] {
        let body = Array("backupd-wal sha256=\(sha256) size=\(size)".utf8)
        let length = UInt32(body.count)
        return frameMagic + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + body
    }

    /// The digest and size a stored file's first frame records (after decryption); nil when it has none.
    static func readDigestFrame(_ bytes: [UInt8]) -> (sha256: String, size: Int)? {
        guard bytes.count >= 8, Array(bytes[0..<4]) == frameMagic else { return nil }
        let length = (0..<4).reduce(0) { $0 | Int(bytes[4 + $1]) << (8 * $1) }
        guard length <= 256, bytes.count >= 8 + length else { return nil }
        let fields = String(decoding: bytes[8..<(8 + length)], as: UTF8.self).split(separator: " ")
        guard fields.count == 3, fields[0] == "backupd-wal", fields[1].hasPrefix("sha256="), fields[2].hasPrefix("size="),
              let size = Int(fields[2].dropFirst(5)) else { return nil }
        return (String(fields[1].dropFirst(7)), size)
    }

    /// Everything `source` gives; `expected` sizes the array up front.
    static func drain(_ source: any ByteSource, expected: Int = 0) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(expected)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }
}

/// Bytes collected from age's reader thread, read once `finish` returned.
private final class Collected: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

/// A byte source over bytes in memory.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}
