import Foundation

/// Names of claim objects: `{prefix}/.backupd/claims/{job}/{slot}.json`, slot in UTC.
public enum ClaimKey {
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
}
