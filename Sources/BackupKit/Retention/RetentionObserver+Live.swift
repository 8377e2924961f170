import BackupCore
import BackupHistory

extension RetentionObserver {
    /// Retention's observers: prune after a successful backup (`runOn: "any"` jobs under their
    /// prune claim, taken with `claims`), then trim the history.
    public static func standard(
        history: HistoryStore, stores: any ObjectStoreProvider, clock: any WallClock, claims: JobTaskClaimer? = .live
    ) -> [any RunObserver] {
        [
            RetentionObserver(pruner: Pruner(stores: stores, history: history, clock: clock), claims: claims),
            HistoryRetentionObserver(history: history, clock: clock),
        ]
    }
}
