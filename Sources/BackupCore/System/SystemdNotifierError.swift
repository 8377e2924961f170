/// Why a notification to systemd could not be sent.
public enum SystemdNotifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// NOTIFY_SOCKET is neither a path (`/...`) nor an abstract name (`@...`).
    case unsupportedAddress(String)
    /// The socket address does not fit in `sockaddr_un`.
    case addressTooLong(String)
    /// The datagram socket could not be created.
    case socketFailed(reason: String)
    /// The datagram could not be sent.
    case sendFailed(address: String, reason: String)

    /// What failed and what to check.
    public var description: String {
        switch self {
        case .unsupportedAddress(let address):
            "NOTIFY_SOCKET=\(address) is not a Unix socket path or @abstract name; backupd cannot notify systemd "
                + "(check the unit's Type= and NotifyAccess=)"
        case .addressTooLong(let address):
            "NOTIFY_SOCKET=\(address) is longer than a Unix socket address allows (107 bytes)"
        case .socketFailed(let reason):
            "cannot create a socket to notify systemd: \(reason)"
        case .sendFailed(let address, let reason):
            "cannot notify systemd through \(address): \(reason); is the service manager still running?"
        }
    }
}
