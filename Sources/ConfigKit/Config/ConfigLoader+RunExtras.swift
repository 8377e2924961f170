/// The settings a job inherits from the top level unless it sets its own: notifications and
/// encryption (a job's setting replaces the default whole), plus the top-level metrics.
extension ConfigLoader {
    /// What the top level declares for every job.
    struct RunDefaults {
        var notify: NotifyConfig?
        var encryption: EncryptionConfig?
        var metrics: MetricsConfig?
    }

    /// Job keys read by `applyRunExtras` rather than `readJob`.
    static let runExtraKeys = ["notify", "encryption"]

    /// Reads the top level's `notify`, `encryption` and `metrics`.
    func readRunExtras(_ root: ObjectReader) -> RunDefaults {
        RunDefaults(
            notify: root.raw("notify").flatMap { readNotify($0, path: root.childPath("notify")) },
            encryption: root.raw("encryption").flatMap { readEncryption($0, path: root.childPath("encryption")) },
            metrics: root.raw("metrics").flatMap { readMetrics($0, path: root.childPath("metrics")) })
    }

    /// Sets `job`'s notify and encryption from its own keys, else from `defaults`.
    func applyRunExtras(_ value: JSONValue, path: String, defaults: RunDefaults, to job: inout JobConfig) {
        guard case .object(let members) = value.kind else { return }
        func member(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }
        job.notify = member("notify").map { readNotify($0, path: ConfigReader.join(path, "notify")) } ?? defaults.notify
        job.encryption = member("encryption").map { readEncryption($0, path: ConfigReader.join(path, "encryption")) } ?? defaults.encryption
    }
}
