/// Why the state directory's lock could not be taken.
public enum StateLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds it.
    case held(path: String, holder: StateLock.Holder?)
    /// The lock file could not be opened or locked.
    case cannotLock(path: String, reason: String)

    public var description: String {
        switch self {
        case .held(let path, let holder?):
            return "\(path) is locked by \(holder.role.description) (pid \(holder.pid)); "
                + {
                    switch holder.role {
                    case .daemon:
                        "only one backupd runs backups for a state directory: stop that one first (systemctl stop backupd), or give this config another stateDirectory"
                    case .runNow: "wait for that backup to end"
                    case .reserved: "restart it (systemctl restart backupd) so that it moves here; until then nothing runs on this state directory"
                    }
                }()
        case .held(let path, nil):
            return "\(path) is locked by another backupd process; only one may run backups for a state directory"
        case .cannotLock(let path, let reason):
            return "cannot lock \(path): \(reason); check that the state directory exists and is writable by this user"
        }
    }
}
