import Foundation

/// Names of claim objects: `{prefix}/.backupd/claims/{job}/{slot}.json`, slot in UTC; a job's
/// prune and upload-sweep claims are `prune.json` and `sweep.json` in the same folder.
public enum ClaimKey {
    /// How far back from a prune's horizon slot claims are kept, in seconds: twice the 15 minutes
    /// SigV4 lets a client's clock be off the server's, since one host may be that far ahead (it
    /// runs a slot early) and another that far behind (it reaches the slot's claim late).
    public static let skewAllowance: TimeInterval = 30 * 60

    /// The slot as it appears in keys and claims: the scheduled time in UTC, `yyyyMMdd'T'HHmmss'Z'`.
    public static func slotText(_ slot: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: slot)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day) + "T" + two(c.hour) + two(c.minute) + two(c.second) + "Z"
    }

    /// The folder of a job's claims under the destination's prefix (empty prefix: bucket root).
    public static func folder(prefix: String, job: String) -> String {
        let trimmed = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return (trimmed.isEmpty ? "" : trimmed + "/") + ".backupd/claims/\(job)/"
    }

    /// The claim object's key for `job` and `slot`.
    public static func key(prefix: String, job: String, slot: Date) -> String {
        folder(prefix: prefix, job: job) + slotText(slot) + ".json"
    }

    /// The claim object's key for one of the job's maintenance tasks (`prune.json`, `sweep.json`).
    public static func taskKey(prefix: String, job: String, task: String) -> String {
        folder(prefix: prefix, job: job) + task + ".json"
    }

    /// The slot of a run-slot claim's key directly in `folder` (nil for any other key: a task
    /// claim, a probe object, a deeper key, a name that is no slot).
    public static func slot(ofKey key: String, folder: String) -> Date? {
        guard key.hasPrefix(folder), key.hasSuffix(".json") else { return nil }
        let name = String(key.dropFirst(folder.count).dropLast(5))
        guard name.count == 16, name.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "T" || $0 == "Z") }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        guard let date = formatter.date(from: name), slotText(date) == name else { return nil }
        return date
    }
}
