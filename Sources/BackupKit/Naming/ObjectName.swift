import Foundation
import SigV4

/// Builds and reads object names: `{prefix}/{job}-{UTC YYYYMMDDTHHMMSSZ}-{8 hex run token}{ext}`
/// (the backup id is `{job}-{stamp}-{token}`). Names written before the token existed,
/// `{prefix}/{job}-{stamp}{ext}`, are still read.
public enum ObjectName {
    /// The suffix of a backup's manifest, after its id.
    public static let manifestSuffix = ".manifest.json"

    /// The key for a backup of `job` taken at `time` (no leading `/` when `prefix` is empty);
    /// `token` (8 lower-case hex digits) keeps two runs started in the same second apart.
    public static func make(prefix: String, job: String, time: Date, token: String? = nil, suffix: String) -> String {
        join(prefix: prefix, name: backupID(job: job, time: time, token: token) + suffix)
    }

    /// The backup id `{job}-{stamp}-{token}` (`{job}-{stamp}` without a token).
    public static func backupID(job: String, time: Date, token: String?) -> String {
        let stamp = timestamp(time)
        return token.map { "\(job)-\(stamp)-\($0)" } ?? "\(job)-\(stamp)"
    }

    /// The manifest key of a backup id under `prefix`.
    public static func manifestKey(prefix: String, backupID: String) -> String {
        join(prefix: prefix, name: backupID + manifestSuffix)
    }

    /// The key prefix every object (and multipart upload) of backup `backupID` under `prefix` starts with.
    public static func keyPrefix(prefix: String, backupID: String) -> String {
        join(prefix: prefix, name: backupID)
    }

    /// A fresh run token: 8 random lower-case hex digits.
    public static func randomToken() -> String {
        let value = UInt32.random(in: 0...UInt32.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The listing prefix that holds every backup of `job` (and nothing of a job whose name merely starts the same).
    public static func listPrefix(prefix: String, job: String) -> String {
        prefix.isEmpty ? "\(job)-" : "\(prefix)/\(job)-"
    }

    /// True when `key` is a backup of `job` under `prefix` (a timestamp follows the job name).
    public static func belongs(_ key: String, prefix: String, job: String) -> Bool {
        parse(key, prefix: prefix, job: job) != nil
    }

    /// The parts of a backup object's key: its backup id, time, run token (nil for names from
    /// before tokens) and the rest of the name (`.dump.zst`, `.manifest.json`, `.dump.zst.001`).
    public struct Parsed: Sendable, Hashable {
        /// `{job}-{stamp}-{token}` or `{job}-{stamp}`.
        public var backupID: String
        /// The UTC time in the name.
        public var time: Date
        /// The run token, if the name has one.
        public var token: String?
        /// Everything after the id.
        public var suffix: String
    }

    /// Reads a key of `job` under `prefix`; nil when it is not one of its backups.
    public static func parse(_ key: String, prefix: String, job: String) -> Parsed? {
        let start = listPrefix(prefix: prefix, job: job)
        guard key.hasPrefix(start) else { return nil }
        let rest = Array(key.utf8.dropFirst(start.utf8.count))
        guard rest.count >= 16 else { return nil }
        for (index, byte) in rest.prefix(16).enumerated() {
            switch index {
            case 8: guard byte == UInt8(ascii: "T") else { return nil }
            case 15: guard byte == UInt8(ascii: "Z") else { return nil }
            default: guard isDigit(byte) else { return nil }
            }
        }
        guard let time = date(stamp: String(decoding: rest.prefix(16), as: UTF8.self)) else { return nil }
        var idLength = 16
        var token: String?
        if rest.count >= 25, rest[16] == UInt8(ascii: "-"), rest[17..<25].allSatisfy(isLowerHex),
           rest.count == 25 || rest[25] == UInt8(ascii: ".") {
            token = String(decoding: rest[17..<25], as: UTF8.self)
            idLength = 25
        }
        let name = String(decoding: rest.prefix(idLength), as: UTF8.self)
        return Parsed(
            backupID: "\(job)-\(name)", time: time, token: token,
            suffix: String(decoding: rest.dropFirst(idLength), as: UTF8.self))
    }

    /// `time` in UTC as `YYYYMMDDTHHMMSSZ`.
    public static func timestamp(_ time: Date) -> String {
        // The same basic ISO 8601 UTC form S3 signs as x-amz-date.
        SigV4Signer.timestamp(time)
    }

    /// The instant a `YYYYMMDDTHHMMSSZ` stamp names.
    static func date(stamp: String) -> Date? {
        let digits = Array(stamp.utf8).filter(isDigit).map { Int($0 - UInt8(ascii: "0")) }
        guard digits.count == 14 else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = number(8..<10)
        components.minute = number(10..<12)
        components.second = number(12..<14)
        return components.date
    }

    private static func join(prefix: String, name: String) -> String {
        prefix.isEmpty ? name : "\(prefix)/\(name)"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
