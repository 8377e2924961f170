import Foundation
import Glibc

extension SecretDirectory {
    /// Every place a fallback directory may have been made: `$XDG_RUNTIME_DIR`, `/dev/shm`, `$TMPDIR`, `/tmp`.
    public static func parents(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var result: [String] = []
        for candidate in [environment["XDG_RUNTIME_DIR"], "/dev/shm", environment["TMPDIR"], "/tmp"] {
            guard let candidate, !candidate.isEmpty, !result.contains(candidate) else { continue }
            result.append(candidate)
        }
        return result
    }

    /// Deletes the `backupd-secrets-*` directories under `parents` that belong to this user and that
    /// no live process holds (a crashed or killed backupd's, or one of an older version, which held
    /// no lock); returns their paths. A live backupd's directory is locked and left alone.
    @discardableResult
    public static func removeStale(in parents: [String] = parents()) -> [String] {
        var removed: [String] = []
        for parent in parents {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { continue }
            for name in names where name.hasPrefix(directoryPrefix) {
                let path = "\(parent)/\(name)"
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else { continue }
                let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
                if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
            }
        }
        return removed
    }
}
