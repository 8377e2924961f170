import BackupCore

extension HistoryStore {
    /// `HistoryError.fileReplaced` when `path` no longer names the file this read-write store
    /// opened (removed, or another file put in its place), else nil. Cheap: one stat.
    public func fileProblem(operation: String = "write the history") -> HistoryError? {
        guard let opened = openedFile else { return nil }
        guard let now = FileIdentity(path: path, followingLinks: true) else {
            return .fileReplaced(path: path, operation: operation, detail: "was removed")
        }
        guard now != opened else { return nil }
        return .fileReplaced(path: path, operation: operation, detail: "was replaced by another file (\(now); opened: \(opened))")
    }
}
