import BackupKit
import CBuildInfo

/// What `backupd --version` prints: the release and the git commit it was built from.
enum BuildInfo {
    /// The git commit of this build (`unknown` when built without git metadata).
    static let commit = String(cString: backupd_build_commit())

    /// `0.1.0 (commit 0123456789ab)`.
    static let versionLine = "\(BackupKit.version) (commit \(commit))"
}
