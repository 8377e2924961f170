import BackupHistory
import Foundation

/// A JSON document as the CLI's `--json` prints it (docs/json.md): keys in the order given and
/// always present (null when unknown), times as RFC 3339 in UTC with `Z`, sizes as integer bytes.
public indirect enum JSONOutput: Sendable, Equatable {
    /// `null`: unknown or not applicable (the key stays).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer (sizes in bytes, ids, counts).
    case int(Int64)
    /// A number (durations in seconds).
    case double(Double)
    /// A string, escaped as JSON requires.
    case string(String)
    /// An array.
    case array([JSONOutput])
    /// An object whose keys print in the order given.
    case object([(String, JSONOutput)])

    /// A string, or null.
    public static func string(_ text: String?) -> JSONOutput { text.map { .string($0) } ?? .null }
    /// An integer, or null.
    public static func int(_ value: Int64?) -> JSONOutput { value.map { .int($0) } ?? .null }
    /// A time as `2026-12-06T11:00:00Z` (milliseconds when `milliseconds`), or null.
    public static func time(_ date: Date?, milliseconds: Bool = false) -> JSONOutput {
        date.map { .string(HistoryRenderer.utcTimestamp($0, milliseconds: milliseconds)) } ?? .null
    }

    /// The document, indented by two spaces, with a final newline.
    public var text: String {
        var out = ""
        write(into: &out, indent: "")
        return out + "\n"
    }

    private func write(into out: inout String, indent: String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): out += value.isFinite ? "\(value)" : "null"
        case .string(let value): out += HistoryRenderer.jsonString(value)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += indent + "  "
                item.write(into: &out, indent: indent + "  ")
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let fields):
            guard !fields.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (index, (key, value)) in fields.enumerated() {
                out += indent + "  " + HistoryRenderer.jsonString(key) + ": "
                value.write(into: &out, indent: indent + "  ")
                out += index == fields.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    /// Equal when they print the same.
    public static func == (lhs: JSONOutput, rhs: JSONOutput) -> Bool { lhs.text == rhs.text }
}
