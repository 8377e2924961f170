import CCrypto

/// SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, which uses the CPU's SHA instructions.
public enum SHA256 {
    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { out in
            _ = CCrypto.SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, out.baseAddress)
        }
        return digest
    }

    /// The digest of a byte array or the UTF-8 of a string.
    public static func hash<S: Sequence<UInt8>>(_ bytes: S) -> [UInt8] {
        Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                digest.withUnsafeMutableBufferPointer { out in
                    _ = HMAC(
                        EVP_sha256(), k.baseAddress, Int32(k.count),
                        m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, out.baseAddress, &length)
                }
            }
        }
        return digest
    }

    /// Lower-case hex of `bytes`.
    public static func hex<S: Sequence<UInt8>>(_ bytes: S) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 over the binary digests given in lower-case hex, in order: a multipart object's
    /// composite digest over its parts' SHA-256 (as S3's composite checksums are made, in hex).
    public static func composite<S: Sequence<String>>(ofHex digests: S) -> String {
        var joined: [UInt8] = []
        for digest in digests {
            var high: UInt8?
            for c in digest.utf8 {
                let value: UInt8 = c >= 97 ? c - 87 : c >= 65 ? c - 55 : c &- 48
                if let h = high {
                    joined.append(h << 4 | (value & 0xF))
                    high = nil
                } else {
                    high = value
                }
            }
        }
        return hex(hash(joined))
    }

    /// The hex digest of the empty string, the payload hash of every bodiless request.
    public static let emptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

/// An incremental SHA-256, for hashing a stream in the same pass that sends it.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// Starts an empty digest.
    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    /// An independent hasher in the same state: finalize the copy for the digest so far and keep
    /// feeding this one (a stream's digest and its first segment's from one pass).
    public func copy() -> SHA256Hasher {
        let twin = SHA256Hasher()
        EVP_MD_CTX_copy_ex(twin.context, context)
        return twin
    }

    /// Adds `bytes` to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// The digest of everything added; the hasher must not be used afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        digest.withUnsafeMutableBufferPointer { out in
            _ = EVP_DigestFinal_ex(context, out.baseAddress, &length)
        }
        return digest
    }
}
