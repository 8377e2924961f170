/// A credential from the config: a literal, `{"env": NAME}` or `{"file": PATH}`.
///
/// The config keeps where each secret comes from (`source`); a config loaded for a command that
/// needs only some secrets (`SecretScope`) leaves the others unresolved, so a read-only command never
/// fails over a variable it does not use. Its description is redacted so that a secret
/// interpolated by mistake into a log line or an error message shows as `<redacted>`; only `value`
/// gives the real text.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where a secret's value comes from (never the value itself).
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        /// Written in the config file.
        case literal
        /// The environment variable of this name.
        case environment(String)
        /// The contents of this file.
        case file(String)

        /// `environment variable PGPASSWORD`, `file /run/secrets/pg`, `a literal`.
        public var description: String {
            switch self {
            case .literal: return "a literal"
            case .environment(let name): return "environment variable \(name)"
            case .file(let path): return "file \(path)"
            }
        }
    }

    /// Where the value comes from.
    public let source: Source
    private let resolved: String?

    /// Wraps a resolved secret.
    public init(_ value: String) {
        source = .literal
        resolved = value
    }

    /// A secret read from `source`.
    package init(_ value: String, from source: Source) {
        self.source = source
        resolved = value
    }

    /// A reference whose value was not read, because the command at hand does not use it.
    package init(unresolved source: Source) {
        self.source = source
        resolved = nil
    }

    /// Whether the value was read when the config was loaded.
    public var isResolved: Bool { resolved != nil }

    /// The secret itself. Pass it to a child process by environment or a 0600 file, never argv.
    ///
    /// Only secrets inside the `SecretScope` the config was loaded with have a value; asking an
    /// unresolved one is a programming error (the command loaded the config with too narrow a scope).
    public var value: String {
        guard let resolved else {
            preconditionFailure("the secret from \(source) was used, but the config was loaded without resolving it")
        }
        return resolved
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
