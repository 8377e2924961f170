/// One thing wrong (or worth a warning) in a config file, located by file, line, column and JSON path.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Whether the problem stops the file from being used.
    public enum Severity: String, Sendable { case error, warning }

    /// Error or warning.
    public var severity: Severity
    /// The config file's path.
    public var file: String
    /// Where in the file, when known.
    public var position: SourcePosition?
    /// The JSON path, e.g. `jobs["app-db"].schedule` (empty for the document itself).
    public var path: String
    /// What is wrong, with the offending value (never a secret) and what would be valid.
    public var message: String

    /// Creates a problem.
    public init(_ severity: Severity, file: String, position: SourcePosition?, path: String, message: String) {
        self.severity = severity
        self.file = file
        self.position = position
        self.path = path
        self.message = message
    }

    /// Compiler-style: `config.json:12:19: error: jobs["app-db"].schedule: ...`.
    public var description: String {
        let location = position.map { "\(file):\($0.line):\($0.column)" } ?? file
        let subject = path.isEmpty ? "" : "\(path): "
        return "\(location): \(severity.rawValue): \(subject)\(message)"
    }
}

/// A config file that cannot be used, with every problem found in it.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// All problems, errors first in file order, then warnings.
    public var problems: [ConfigProblem]

    /// The errors alone.
    public var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }

    public var description: String {
        let count = errors.count
        let header = "\(count) problem\(count == 1 ? "" : "s") in \(problems.first?.file ?? "the config file"):"
        return ([header] + problems.map { "  " + $0.description }).joined(separator: "\n")
    }
}
