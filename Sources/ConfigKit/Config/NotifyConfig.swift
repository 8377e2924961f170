import BackupCore

/// Where run events are announced: webhooks and a healthchecks.io-style ping URL.
///
/// Every URL is a `Secret` (webhook URLs often carry a token): it is never logged, only its
/// scheme and host.
public struct NotifyConfig: Sendable {
    /// How a webhook body is written.
    public enum Format: String, Sendable, CaseIterable {
        /// A JSON document per event (the fields are listed in the README).
        case json
        /// A plain-text message with ntfy's `Title`, `Priority` and `Tags` headers.
        case ntfy
    }

    /// URLs that receive a POST per event (start, success, failure).
    public var webhooks: [Secret]
    /// A healthchecks.io check URL: `/start`, the bare URL on success, `/fail` on failure.
    public var healthchecks: Secret?
    /// The webhook body format.
    public var format: Format

    /// The format used when none is given.
    public static let defaultFormat = Format.json

    /// Describes where notifications go.
    public init(webhooks: [Secret] = [], healthchecks: Secret? = nil, format: Format = NotifyConfig.defaultFormat) {
        self.webhooks = webhooks
        self.healthchecks = healthchecks
        self.format = format
    }

    /// True when nothing would be sent.
    public var isEmpty: Bool { webhooks.isEmpty && healthchecks == nil }
}
