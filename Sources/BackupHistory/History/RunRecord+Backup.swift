extension RunRecord {
    /// The id of the backup the run stored (`app-20261201T091500Z-3f9a1c2e`), read from its
    /// object key; nil when the run stored nothing or the key is not one backupd names.
    public var backupID: String? {
        guard let key = objectKey else { return nil }
        let name = key.split(separator: "/").last.map(String.init) ?? key
        guard name.hasPrefix(job + "-") else { return nil }
        let rest = name.dropFirst(job.count + 1)
        let stamp = rest.prefix(16)
        guard stamp.count == 16, stamp.dropLast().allSatisfy({ $0.isNumber || $0 == "T" }), stamp.last == "Z" else { return nil }
        let after = rest.dropFirst(16)
        let token = after.dropFirst().prefix(8)
        if after.hasPrefix("-"), token.count == 8, token.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return "\(job)-\(stamp)-\(token)"
        }
        return "\(job)-\(stamp)"
    }
}
