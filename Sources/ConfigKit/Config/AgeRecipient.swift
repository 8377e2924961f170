import Foundation
import SigV4

/// Checks the syntax of age recipients before any backup runs: native X25519 recipients
/// (`age1` + bech32 with a valid checksum, or a plugin's `age1NAME1...`) and SSH public keys
/// (`ssh-ed25519` / `ssh-rsa` followed by a base64 key blob of that type).
public enum AgeRecipient {
    /// Why `text` is not a recipient, or nil when it is well-formed.
    public static func problem(_ text: String) -> String? {
        if text.hasPrefix("ssh-") { return sshProblem(text) }
        guard text.lowercased().hasPrefix("age1") else {
            return "is neither an age recipient (\"age1...\", printed by age-keygen) nor an SSH public key (\"ssh-ed25519 AAAA...\" or \"ssh-rsa AAAA...\")"
        }
        if text.hasPrefix("AGE-SECRET-KEY-") || text.uppercased().hasPrefix("AGE-SECRET-KEY-") {
            return "is a secret key, not a recipient"
        }
        return bech32Problem(text)
    }

    /// A short, stable fingerprint of a recipient: the first 16 hex digits of the SHA-256 of its
    /// key (an SSH key's comment left out), for the object metadata and manifest.
    public static func fingerprint(_ text: String) -> String {
        let key = text.hasPrefix("ssh-") ? text.split(separator: " ").prefix(2).joined(separator: " ") : text.lowercased()
        return String(SHA256.hex(SHA256.hash(Array(key.utf8))).prefix(16))
    }

    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    private static func bech32Problem(_ text: String) -> String? {
        if text != text.lowercased() && text != text.uppercased() { return "mixes upper- and lower-case letters (bech32 does not allow that)" }
        let lower = Array(text.lowercased().utf8)
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator >= 3 else { return "has no bech32 separator" }
        let hrp = Array(lower[..<separator])
        let dataPart = lower[(separator + 1)...]
        guard dataPart.count >= 6 else { return "is too short to be an age recipient (did it lose characters?)" }
        var values: [UInt8] = []
        for byte in dataPart {
            guard let index = charset.firstIndex(of: byte) else {
                return "contains \"\(Character(Unicode.Scalar(byte)))\", which is not a bech32 character"
            }
            values.append(UInt8(index))
        }
        if hrp == Array("age".utf8), values.count != 52 + 6 {
            return "has \(lower.count) characters; an age X25519 recipient has 62 (did it lose or gain characters?)"
        }
        guard polymod(expand(hrp) + values) == 1 else { return "has a wrong checksum (a typo, or a character lost in copying)" }
        return nil
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    private static func sshProblem(_ text: String) -> String? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard let type = fields.first, ["ssh-ed25519", "ssh-rsa"].contains(type) else {
            return "is an SSH key of a type age cannot encrypt to; use ssh-ed25519 or ssh-rsa"
        }
        guard fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])), blob.count > 4 else {
            return "has no valid base64 key after \"\(type)\""
        }
        let bytes = [UInt8](blob)
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard bytes.count >= 4 + length, String(decoding: bytes[4..<(4 + length)], as: UTF8.self) == type else {
            return "has a key blob that is not a \(type) key"
        }
        if type == "ssh-ed25519", bytes.count != 4 + 11 + 4 + 32 { return "has an ssh-ed25519 key of the wrong length" }
        return nil
    }
}
