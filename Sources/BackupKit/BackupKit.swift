/// backupd's domain library.
public enum BackupKit {
    /// The version printed by `backupd --version` and logged at start.
    public static let version = "0.1.0"
}
