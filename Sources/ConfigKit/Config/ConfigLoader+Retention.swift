import Foundation

extension ConfigLoader {
    /// The rules of a retention policy, in the order they are explained.
    static let retentionRules = ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly", "keepWithin"]

    /// The top-level `retention` (the default for jobs that set none) and `historyRetention`.
    func readRetentionDefaults(_ root: ObjectReader) -> (RetentionPolicy?, Duration) {
        let policy = root.raw("retention").flatMap { readRetention($0, path: root.childPath("retention")) }
        let history = duration(root, "historyRetention") ?? BackupConfig.defaultHistoryRetention
        return (policy, history)
    }

    /// A `retention` object: positive whole numbers for the counting rules, a window for keepWithin.
    func readRetention(_ value: JSONValue, path: String) -> RetentionPolicy? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "a retention policy") else { return nil }
        let range = 1...100_000
        var policy = RetentionPolicy(
            keepLast: object.integer("keepLast", in: range), keepHourly: object.integer("keepHourly", in: range),
            keepDaily: object.integer("keepDaily", in: range), keepWeekly: object.integer("keepWeekly", in: range),
            keepMonthly: object.integer("keepMonthly", in: range), keepYearly: object.integer("keepYearly", in: range))
        if let raw = object.raw("keepWithin") {
            if case .string(let text) = raw.kind, let window = RetentionWindow.parse(text) {
                policy.keepWithin = window
            } else {
                reader.error(raw, object.childPath("keepWithin"), "\(ConfigReader.render(raw)) is not a retention window; use whole days and hours such as \"14d\", \"30h\" or \"1d12h\" (\"w\" for weeks)")
            }
        }
        object.finish()
        if case .object(let members) = value.kind, members.isEmpty {
            reader.error(value, path, "an empty retention policy would keep nothing; set at least one of \(Self.retentionRules.joined(separator: ", ")) (or remove \"retention\" to keep every backup)")
            return nil
        }
        return policy
    }
}
