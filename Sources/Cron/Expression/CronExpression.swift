/// A parsed, validated cron expression: 5 fields (Vixie/Debian syntax, see shared/CRON.md), a
/// macro such as `@daily`, or 6 fields with seconds first, plus the `L`/`W`/`#`/`?` extensions.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// The fields as bitsets.
    let spec: CronSpec

    /// Parses and validates `text`; throws a `CronError` naming the offending token. Expressions
    /// that can never fire (`0 0 30 2 *`) are rejected here.
    public init(_ text: String) throws(CronError) {
        self.text = text
        self.spec = try CronParser(text).parse()
    }

    /// True when neither the minute nor the hour field starts with `*`: such an expression fires
    /// once for a wall time skipped by spring-forward and once for a repeated one (CRON.md).
    public var isFixedTime: Bool { spec.isFixedTime }

    /// True for a 6-field expression whose first field is seconds.
    public var hasSeconds: Bool { spec.hasSeconds }

    /// The text as given.
    public var description: String { text }
}
