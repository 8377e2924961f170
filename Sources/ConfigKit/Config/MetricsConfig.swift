/// Where backupd's Prometheus metrics are exposed.
public struct MetricsConfig: Sendable {
    /// A node_exporter textfile-collector file, rewritten atomically after every run.
    public var textfile: String?
    /// The address `GET /metrics` is served on.
    public var listen: BindAddress?

    /// Describes the metrics outputs.
    public init(textfile: String? = nil, listen: BindAddress? = nil) {
        self.textfile = textfile
        self.listen = listen
    }
}
