import Foundation

/// What retention decided for one backup: kept for `reasons`, or deleted when there are none.
public struct RetentionDecision: Sendable, Hashable {
    /// The backup id (`app-20261201T091500Z-3f9a1c2e`).
    public var id: String
    /// When the backup was taken (from its name).
    public var time: Date
    /// The rules that keep it, in rule order; empty when it is to be deleted.
    public var reasons: [KeepReason]

    /// A decision for one backup.
    public init(id: String, time: Date, reasons: [KeepReason]) {
        self.id = id
        self.time = time
        self.reasons = reasons
    }

    /// Whether the backup survives.
    public var keep: Bool { !reasons.isEmpty }

    /// `keep (daily, weekly)` or `delete`, as `prune --dry-run` and `list` print it.
    public var summary: String {
        keep ? "keep (\(reasons.map(\.description).joined(separator: ", ")))" : "delete"
    }
}
