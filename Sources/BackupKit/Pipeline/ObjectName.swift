import Foundation
import SigV4

/// Builds and reads object names: `{prefix}/{job}-{UTC YYYYMMDDTHHMMSSZ}{ext}`.
public enum ObjectName {
    /// The key for a backup of `job` taken at `time` (no leading `/` when `prefix` is empty).
    public static func make(prefix: String, job: String, time: Date, suffix: String) -> String {
        let stamp = timestamp(time)
        let name = "\(job)-\(stamp)\(suffix)"
        return prefix.isEmpty ? name : "\(prefix)/\(name)"
    }

    /// The listing prefix that holds every backup of `job` (and nothing of a job whose name merely starts the same).
    public static func listPrefix(prefix: String, job: String) -> String {
        prefix.isEmpty ? "\(job)-" : "\(prefix)/\(job)-"
    }

    /// True when `key` is a backup of `job` under `prefix` (a timestamp follows the job name).
    public static func belongs(_ key: String, prefix: String, job: String) -> Bool {
        let start = listPrefix(prefix: prefix, job: job)
        guard key.hasPrefix(start) else { return false }
        let rest = key.dropFirst(start.count)
        guard rest.count >= 16 else { return false }
        let stamp = Array(rest.prefix(16).utf8)
        for (index, byte) in stamp.enumerated() {
            switch index {
            case 8: guard byte == UInt8(ascii: "T") else { return false }
            case 15: guard byte == UInt8(ascii: "Z") else { return false }
            default: guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            }
        }
        return true
    }

    /// `time` in UTC as `YYYYMMDDTHHMMSSZ`.
    public static func timestamp(_ time: Date) -> String {
        // The same basic ISO 8601 UTC form S3 signs as x-amz-date.
        SigV4Signer.timestamp(time)
    }
}
