import BackupCore
import Glibc

extension StateLock {
    /// What `check()` found.
    public enum Check: Sendable, Equatable {
        /// Both locks are on the files their paths name.
        case intact
        /// The lock file was removed or replaced; it is locked again (the directory's lock never lapsed).
        case fileRestored(detail: String)
        /// The lock file at the path is locked by another process; this one cannot lock it again.
        case fileHeld(detail: String)
        /// The state directory itself was removed or replaced (its new one is locked when possible):
        /// the history and control socket are gone with the old one, so runs need a restart.
        case directoryReplaced(detail: String)
    }

    /// Compares the locked directory and file with what their paths name now and locks again what
    /// was replaced, so that a process starting now sees this one as the holder.
    public func check() -> Check {
        var replaced: String?
        let lockedDirectory = directory.withLock { $0 }
        if lockedDirectory.fd >= 0 {
            let now = FileIdentity(path: stateDirectory, followingLinks: true)
            if now != lockedDirectory.identity {
                replaced = now == nil
                    ? "the state directory \(stateDirectory) was removed"
                    : "the state directory \(stateDirectory) was replaced by another directory (\(now!), locked: \(lockedDirectory.identity.map { "\($0)" } ?? "?"))"
                if now != nil, let fresh = try? Self.lockDirectory(stateDirectory, lockPath: path), fresh.fd >= 0 {
                    directory.withLock { locked in
                        close(locked.fd)
                        locked = fresh
                    }
                }
            }
        }
        let fileResult = checkFile()
        if let replaced { return .directoryReplaced(detail: replaced) }
        return fileResult
    }

    private func checkFile() -> Check {
        let locked = file.withLock { $0 }
        guard locked.fd >= 0 else { return .intact }
        let now = FileIdentity(path: path)
        guard now != locked.identity else { return .intact }
        let what = now == nil ? "\(path) was removed" : "\(path) was replaced by another file (\(now!))"
        do {
            let fresh = try Self.lockFile(path, stateDirectory: stateDirectory, role: role)
            file.withLock { current in
                close(current.fd)
                current = fresh
            }
            return .fileRestored(detail: "\(what); it is locked again by this process (pid \(getpid()))")
        } catch {
            return .fileHeld(detail: "\(what) and cannot be locked again: \(error)")
        }
    }
}
