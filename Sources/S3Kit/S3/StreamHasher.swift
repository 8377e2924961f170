import CSHA256Pair
import SigV4

/// SHA-256 of a part as it is uploaded (the digest SigV4 signs and the manifest records). On CPUs
/// with the SHA extensions it runs on backupd's own SHA-NI code, which can advance two digests in
/// one interleaved pass: over two parts (`update(_:with:_:with:)`, what the uploader does), or over
/// the same bytes (`update(_:and:with:)`, sharing the message schedule); elsewhere it is OpenSSL's.
final class StreamHasher {
    private enum Engine {
        case paired(UnsafeMutablePointer<bd_sha256_ctx>)
        case openSSL(SHA256Hasher)
    }

    private let engine: Engine

    /// Whether this CPU runs the paired code.
    static let pairedAvailable = bd_sha256_available() != 0

    /// An empty digest; `paired: false` forces OpenSSL (for the tests that compare the two).
    init(paired: Bool = StreamHasher.pairedAvailable) {
        if paired {
            let context = UnsafeMutablePointer<bd_sha256_ctx>.allocate(capacity: 1)
            bd_sha256_init(context)
            engine = .paired(context)
        } else {
            engine = .openSSL(SHA256Hasher())
        }
    }

    private init(engine: Engine) {
        self.engine = engine
    }

    deinit {
        if case .paired(let context) = engine { context.deallocate() }
    }

    /// Adds `bytes`.
    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        switch engine {
        case .paired(let context): bd_sha256_update(context, bytes.baseAddress, bytes.count)
        case .openSSL(let hasher): hasher.update(bytes)
        }
    }

    /// Adds `bytes` to both `first` and `second`, in one pass where both run the paired code.
    static func update(_ first: StreamHasher, and second: StreamHasher, with bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if case .paired(let a) = first.engine, case .paired(let b) = second.engine {
            bd_sha256_update_pair(a, b, bytes.baseAddress, bytes.count)
        } else {
            first.update(bytes)
            second.update(bytes)
        }
    }

    /// Adds `firstBytes` to `first` and `secondBytes` (as many) to `second`: two parts hashed in
    /// one interleaved pass where both run the paired code, which costs about 0.7 of two passes.
    static func update(
        _ first: StreamHasher, with firstBytes: UnsafeRawBufferPointer, _ second: StreamHasher, with secondBytes: UnsafeRawBufferPointer
    ) {
        precondition(firstBytes.count == secondBytes.count)
        guard firstBytes.count > 0 else { return }
        if case .paired(let a) = first.engine, case .paired(let b) = second.engine {
            bd_sha256_update_two(a, firstBytes.baseAddress, b, secondBytes.baseAddress, firstBytes.count)
        } else {
            first.update(firstBytes)
            second.update(secondBytes)
        }
    }

    /// An independent hasher in the same state (a stream's digest so far, while this one goes on).
    func copy() -> StreamHasher {
        switch engine {
        case .paired(let context):
            let twin = UnsafeMutablePointer<bd_sha256_ctx>.allocate(capacity: 1)
            twin.initialize(to: context.pointee)
            return StreamHasher(engine: .paired(twin))
        case .openSSL(let hasher):
            return StreamHasher(engine: .openSSL(hasher.copy()))
        }
    }

    /// The digest of everything added; the hasher must not be used afterwards.
    func finalize() -> [UInt8] {
        switch engine {
        case .paired(let context):
            var digest = [UInt8](repeating: 0, count: 32)
            digest.withUnsafeMutableBufferPointer { bd_sha256_final(context, $0.baseAddress) }
            return digest
        case .openSSL(let hasher):
            return hasher.finalize()
        }
    }
}
