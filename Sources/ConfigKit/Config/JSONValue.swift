/// A JSON value with the source position it was read from, so that every config problem can name
/// the line and column as well as the JSON path.
public struct JSONValue: Sendable, Equatable {
    /// The kinds of JSON value.
    public indirect enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// A number, kept as written so integers are never rounded through Double.
        case number(String)
        case string(String)
        case array([JSONValue])
        /// Members in file order; duplicates are reported by the parser.
        case object([(key: String, keyPosition: SourcePosition, value: JSONValue)])

        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.number(a), .number(b)): return a == b
            case let (.string(a), .string(b)): return a == b
            case let (.array(a), .array(b)): return a == b
            case let (.object(a), .object(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }
    }

    /// What the value is.
    public var kind: Kind
    /// Where the value starts in the file.
    public var position: SourcePosition

    /// Creates a value at a position.
    public init(_ kind: Kind, at position: SourcePosition) {
        self.kind = kind
        self.position = position
    }

    /// The JSON type name used in error messages ("a string", "an object", ...).
    public var typeDescription: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A 1-based line and column (in characters) in a source file.
public struct SourcePosition: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based column, counted in Unicode characters.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}
