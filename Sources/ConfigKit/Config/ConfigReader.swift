import Foundation

/// Collects problems while a config document is read, and renders JSON paths and values for them.
package final class ConfigReader {
    let file: String
    private(set) var problems: [ConfigProblem] = []

    init(file: String) { self.file = file }

    func error(_ value: JSONValue?, _ path: String, _ message: String) {
        problems.append(ConfigProblem(.error, file: file, position: value?.position, path: path, message: message))
    }

    func error(at position: SourcePosition?, _ path: String, _ message: String) {
        problems.append(ConfigProblem(.error, file: file, position: position, path: path, message: message))
    }

    func warning(_ value: JSONValue?, _ path: String, _ message: String) {
        problems.append(ConfigProblem(.warning, file: file, position: value?.position, path: path, message: message))
    }

    var hasErrors: Bool { problems.contains { $0.severity == .error } }

    /// `parent.key`, or `key` at the top level.
    static func join(_ parent: String, _ key: String) -> String {
        let simple = key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }
        let member = simple && !key.isEmpty ? key : "[\(quote(key))]"
        if parent.isEmpty { return member.hasPrefix("[") ? member : key }
        return member.hasPrefix("[") ? parent + member : parent + "." + member
    }

    /// A string as JSON would write it, for quoting offending values in messages.
    package static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(200) {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        if text.unicodeScalars.count > 200 { out += "…" }
        return out + "\""
    }

    /// A non-secret value as written, for messages (`"lz4"`, `42`, `true`, `an object`).
    static func render(_ value: JSONValue) -> String {
        switch value.kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return quote(s)
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reads one JSON object's members, reporting wrong types, missing keys and unknown keys.
final class ObjectReader {
    let reader: ConfigReader
    let path: String
    let value: JSONValue
    private var members: [String: (value: JSONValue, keyPosition: SourcePosition)] = [:]
    private var order: [String] = []
    private var known: [String] = []

    /// Returns nil (after reporting) when `value` is not an object.
    init?(_ value: JSONValue, path: String, reader: ConfigReader, what: String) {
        self.reader = reader
        self.path = path
        self.value = value
        guard case .object(let list) = value.kind else {
            reader.error(value, path, "expected \(what) (a JSON object), found \(value.typeDescription)")
            return nil
        }
        for member in list where members[member.key] == nil {
            members[member.key] = (member.value, member.keyPosition)
            order.append(member.key)
        }
    }

    func childPath(_ key: String) -> String { ConfigReader.join(path, key) }

    /// The raw member, marking the key as known.
    func raw(_ key: String) -> JSONValue? {
        known.append(key)
        return members[key]?.value
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func missing(_ key: String, _ hint: String) {
        reader.error(value, childPath(key), "missing required key \"\(key)\"; \(hint)")
    }

    func string(_ key: String, required hint: String? = nil, allowEmpty: Bool = false) -> String? {
        guard let v = raw(key) else {
            if let hint { missing(key, hint) }
            return nil
        }
        guard case .string(let s) = v.kind else {
            reader.error(v, childPath(key), "expected a string, found \(v.typeDescription) \(ConfigReader.render(v))")
            return nil
        }
        if s.isEmpty && !allowEmpty {
            reader.error(v, childPath(key), "must not be empty" + (hint.map { "; \($0)" } ?? ""))
            return nil
        }
        return s
    }

    func bool(_ key: String) -> Bool? {
        guard let v = raw(key) else { return nil }
        guard case .bool(let b) = v.kind else {
            reader.error(v, childPath(key), "expected true or false, found \(v.typeDescription) \(ConfigReader.render(v))")
            return nil
        }
        return b
    }

    func integer(_ key: String, in range: ClosedRange<Int>, required hint: String? = nil) -> Int? {
        guard let v = raw(key) else {
            if let hint { missing(key, hint) }
            return nil
        }
        guard case .number(let text) = v.kind else {
            reader.error(v, childPath(key), "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(v.typeDescription) \(ConfigReader.render(v))")
            return nil
        }
        guard let n = Int(text), range.contains(n) else {
            reader.error(v, childPath(key), "\(text) is not valid; expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return n
    }

    /// A string that must be one of `choices`.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required hint: String? = nil) -> T? where T.RawValue == String {
        guard let v = raw(key) else {
            if let hint { missing(key, hint) }
            return nil
        }
        let names = T.allCases.map(\.rawValue)
        guard case .string(let s) = v.kind else {
            reader.error(v, childPath(key), "expected one of \(names.joined(separator: ", ")), found \(v.typeDescription) \(ConfigReader.render(v))")
            return nil
        }
        guard let result = T(rawValue: s) else {
            var message = "\(ConfigReader.quote(s)) is not valid; expected one of \(names.joined(separator: ", "))"
            if let guess = Suggestion.closest(to: s, in: names) { message += " (did you mean \"\(guess)\"?)" }
            reader.error(v, childPath(key), message)
            return nil
        }
        return result
    }

    func stringArray(_ key: String, required hint: String? = nil) -> [String]? {
        guard let v = raw(key) else {
            if let hint { missing(key, hint) }
            return nil
        }
        guard case .array(let items) = v.kind else {
            reader.error(v, childPath(key), "expected an array of strings, found \(v.typeDescription) \(ConfigReader.render(v))")
            return nil
        }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item.kind else {
                reader.error(item, "\(childPath(key))[\(i)]", "expected a string, found \(item.typeDescription) \(ConfigReader.render(item))")
                return nil
            }
            result.append(s)
        }
        return result
    }

    /// Reports every key that was never asked for, with a suggestion for near misses.
    func finish(validKeys extra: [String] = []) {
        let valid = known + extra
        for key in order where !valid.contains(key) {
            let position = members[key]?.keyPosition
            var message = "unknown key \(ConfigReader.quote(key))"
            if let guess = Suggestion.closest(to: key, in: valid) {
                message += " (did you mean \"\(guess)\"?)"
            }
            var seen = Set<String>()
            let list = valid.filter { seen.insert($0).inserted }
            message += "; valid keys here: \(list.joined(separator: ", "))"
            reader.error(at: position, childPath(key), message)
        }
    }
}
