/// A credential resolved from the config (a literal, `{"env": NAME}` or `{"file": PATH}`).
///
/// Its description is redacted so that a secret interpolated by mistake into a log line or an
/// error message shows as `<redacted>`; only `value` gives the real text.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Pass it to a child process by environment or a 0600 file, never argv.
    public let value: String

    /// Wraps a resolved secret.
    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
