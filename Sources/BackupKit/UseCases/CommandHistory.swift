import BackupHistory
import ConfigKit
import Foundation

/// How the commands open the config's history: for writing (created when missing), read-only
/// when it exists (evidence that must not be created or written), or read-only where it must exist.
public enum CommandHistory {
    /// The history in the config's state directory, created when missing.
    public static func writable(_ config: BackupConfig) throws(CommandHistoryError) -> HistoryStore {
        do {
            return try HistoryStore(stateDirectory: config.stateDirectory)
        } catch {
            throw .cannotOpen(directory: config.stateDirectory, reason: "\(error)")
        }
    }

    /// The history opened read-only when it exists: nil when there is none yet, or, with the
    /// warning handed to `warn`, when it cannot be read.
    public static func existing(_ config: BackupConfig, warn: (String) -> Void) -> HistoryStore? {
        do {
            return try HistoryStore(stateDirectory: config.stateDirectory, readOnly: true)
        } catch HistoryError.missingDatabase {
            return nil
        } catch {
            warn("warning: the bucket is not cross-checked with the history: cannot read it in \(config.stateDirectory): \(error)")
            return nil
        }
    }

    /// The history file's path in the config's state directory.
    public static func path(_ config: BackupConfig) -> String {
        config.stateDirectory + "/" + HistoryStore.fileName
    }

    /// Whether the history file exists (a daemon or a run-now has recorded something).
    public static func exists(_ config: BackupConfig) -> Bool {
        FileManager.default.fileExists(atPath: path(config))
    }

    /// The recorded history, read-only; it must exist.
    public static func recorded(_ config: BackupConfig) throws(CommandHistoryError) -> HistoryStore {
        let path = path(config)
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        do {
            return try HistoryStore(path: path, readOnly: true)
        } catch {
            throw .cannotOpenFile(path: path, reason: "\(error)")
        }
    }
}

/// Why a command cannot open the history; the description is the line it prints.
public enum CommandHistoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state directory's history cannot be opened (or created) for writing.
    case cannotOpen(directory: String, reason: String)
    /// There is no history file yet.
    case missing(path: String)
    /// The history file exists but cannot be opened.
    case cannotOpenFile(path: String, reason: String)
    /// The history file cannot be read.
    case unreadable(path: String, reason: String)

    /// What failed, where, and what creates the history.
    public var description: String {
        switch self {
        case .cannotOpen(let directory, let reason): "cannot open the history in \(directory): \(reason)"
        case .missing(let path): "no history at \(path) yet: the daemon (backupd run) or backupd run-now creates it"
        case .cannotOpenFile(let path, let reason): "cannot open the history at \(path): \(reason)"
        case .unreadable(let path, let reason): "cannot read the history at \(path): \(reason)"
        }
    }
}
