import Glibc

/// Why the control socket could not be served or reached.
public enum ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path does not fit in a Unix socket address (108 bytes).
    case pathTooLong(path: String)
    /// A socket call failed.
    case socket(path: String, call: String, errno: Int32)
    /// The socket exists but this user may not connect to it.
    case notPermitted(path: String)
    /// The daemon closed the connection before the run's result.
    case connectionLost(path: String)
    /// The daemon sent a line that is not a control event.
    case badReply(path: String, line: String)
    /// Another process answers on the socket's path (a second daemon never takes it over).
    case inUse(path: String)

    public var description: String {
        switch self {
        case .pathTooLong(let path):
            return "the control socket path \(path) is longer than a Unix socket allows (107 bytes); use a shorter stateDirectory"
        case .socket(let path, let call, let code):
            return "control socket \(path): \(call) failed: \(String(cString: strerror(code)))"
        case .notPermitted(let path):
            return "permission denied on the daemon's control socket \(path): run this as root or as the daemon's user (sudo -u backupd ...)"
        case .connectionLost(let path):
            return "the daemon closed the control socket \(path) before the run's result (did it stop?); see `backupd history`"
        case .badReply(let path, let line):
            return "the daemon sent an unexpected line on \(path): \(line.prefix(200))"
        case .inUse(let path):
            return "another backupd daemon answers on \(path); only one daemon may run for a state directory: stop that one first"
        }
    }
}
