/// Why metrics could not be exposed.
public enum MetricsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The textfile could not be written.
    case write(path: String, reason: String)
    /// The listener could not bind its address.
    case bind(address: String, reason: String)

    public var description: String {
        switch self {
        case .write(let path, let reason):
            return "cannot write metrics file \(path): \(reason); check that the directory exists and backupd may write it"
        case .bind(let address, let reason):
            return "cannot listen for metrics on \(address): \(reason); choose a free port and an address of this machine in metrics.listen"
        }
    }
}
