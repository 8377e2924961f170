import BackupCore
import BackupHistory

extension RetentionObserver {
    /// Retention's observers: prune after a successful backup, then trim the history.
    public static func standard(history: HistoryStore, stores: any ObjectStoreProvider, clock: any WallClock) -> [any RunObserver] {
        [
            RetentionObserver(pruner: Pruner(stores: stores, history: history, clock: clock)),
            HistoryRetentionObserver(history: history, clock: clock),
        ]
    }
}
