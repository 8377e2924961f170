import Foundation
import SigV4
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// backupd's own SHA-256 (two digests per pass on the SHA extensions) against OpenSSL's.
@Suite("Stream hasher", .ownThreads)
struct StreamHasherTests {
    /// `count` pseudo-random bytes from `seed`.
    static func bytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// OpenSSL's digest of `data`.
    static func reference(_ data: ArraySlice<UInt8>) -> String {
        data.withUnsafeBytes { SHA256.hex(SHA256.hash($0)) }
    }

    /// The published vectors: "", "abc" and the 448-bit message.
    @Test func publishedVectors() {
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (text, digest) in vectors {
            let hasher = StreamHasher()
            Array(text.utf8).withUnsafeBytes { hasher.update($0) }
            #expect(SHA256.hex(hasher.finalize()) == digest, "\(text)")
        }
    }

    /// Every length around the padding boundaries, fed in uneven chunks, matches OpenSSL, alone
    /// and paired with a second digest that started earlier in the stream (same and different
    /// block offsets), and a copy finalizes to the digest so far.
    @Test(arguments: [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 4096 + 17, 1 << 20])
    func matchesOpenSSL(length: Int) {
        let data = Self.bytes(length + 200)
        for (prefix, chunk) in [(0, 7), (64, 64), (128, 1000), (3, 333), (200, 1 << 16)] {
            let stream = StreamHasher()
            data[..<prefix].withUnsafeBytes { stream.update($0) }
            let before = stream.copy()
            let part = StreamHasher()
            var offset = prefix
            while offset < prefix + length {
                let end = min(prefix + length, offset + chunk)
                data[offset..<end].withUnsafeBytes { StreamHasher.update(stream, and: part, with: $0) }
                offset = end
            }
            #expect(SHA256.hex(part.finalize()) == Self.reference(data[prefix..<(prefix + length)]), "part, prefix \(prefix), chunk \(chunk)")
            #expect(SHA256.hex(stream.finalize()) == Self.reference(data[..<(prefix + length)]), "stream, prefix \(prefix), chunk \(chunk)")
            #expect(SHA256.hex(before.finalize()) == Self.reference(data[..<prefix]))
        }
    }

    /// Two different messages hashed in step (two parts of a stream) in uneven chunks match
    /// OpenSSL's digest of each, at every length around the block boundaries, also when one
    /// hasher runs on OpenSSL.
    @Test(arguments: [0, 1, 63, 64, 65, 127, 128, 1000, 4096 + 17, 1 << 20])
    func twoMessagesMatchOpenSSL(length: Int) {
        let first = Self.bytes(length)
        let second = Self.bytes(length, seed: 42)
        for (chunk, paired) in [(7, true), (64, true), (1000, true), (1 << 16, true), (333, false)] {
            let a = StreamHasher()
            let b = StreamHasher(paired: paired)
            var offset = 0
            while offset < length {
                let end = min(length, offset + chunk)
                first[offset..<end].withUnsafeBytes { x in second[offset..<end].withUnsafeBytes { y in StreamHasher.update(a, with: x, b, with: y) } }
                offset = end
            }
            #expect(SHA256.hex(a.finalize()) == Self.reference(first[...]), "first, chunk \(chunk)")
            #expect(SHA256.hex(b.finalize()) == Self.reference(second[...]), "second, chunk \(chunk)")
        }
    }

    /// The OpenSSL engine (CPUs without the SHA extensions) gives the same digests, also paired
    /// with the native one.
    @Test func openSSLEngineAgrees() {
        let data = Self.bytes(100_000)
        let native = StreamHasher()
        let fallback = StreamHasher(paired: false)
        data.withUnsafeBytes { StreamHasher.update(native, and: fallback, with: $0) }
        #expect(SHA256.hex(native.finalize()) == Self.reference(data[...]))
        #expect(SHA256.hex(fallback.finalize()) == Self.reference(data[...]))
    }
}
