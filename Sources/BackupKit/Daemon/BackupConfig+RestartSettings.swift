import BackupCore
import ConfigKit
import Foundation

extension BackupConfig {
    /// The settings a running daemon reads only at start that differ in `newer`, each as a
    /// sentence naming the setting, both values and what uses it (empty: a reload may apply `newer`).
    public func restartOnlyChanges(to newer: BackupConfig) -> [String] {
        var changes: [String] = []
        if !Self.sameDirectory(stateDirectory, newer.stateDirectory) {
            changes.append("stateDirectory changed from \"\(stateDirectory)\" to \"\(newer.stateDirectory)\" (the history, state lock and control socket live there)")
        }
        if metrics?.listen != newer.metrics?.listen {
            changes.append("metrics.listen changed from \(Self.text(metrics?.listen)) to \(Self.text(newer.metrics?.listen)) (the metrics listener is bound at start)")
        }
        if metrics?.textfile != newer.metrics?.textfile {
            changes.append("metrics.textfile changed from \(Self.text(metrics?.textfile)) to \(Self.text(newer.metrics?.textfile)) (the textfile writer is made at start)")
        }
        return changes
    }

    /// Whether two spellings name one directory (a trailing slash, `..`, or a symlink to it).
    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        let standardA = (a as NSString).standardizingPath
        let standardB = (b as NSString).standardizingPath
        if standardA == standardB { return true }
        guard let one = FileIdentity(path: a, followingLinks: true), let other = FileIdentity(path: b, followingLinks: true) else { return false }
        return one == other
    }

    private static func text(_ value: (any CustomStringConvertible)?) -> String {
        value.map { "\"\($0)\"" } ?? "(none)"
    }
}
