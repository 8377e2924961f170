/// A strict JSON parser (RFC 8259) that records the position of every value and reports syntax
/// errors with line, column and what was expected, in words a config author can act on.
///
/// Written here rather than using JSONSerialization because the latter loses positions, member
/// order and duplicate keys, all of which the config validator reports.
public struct JSONParser {
    /// A syntax error at a position.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Where the problem is.
        public var position: SourcePosition
        /// What is wrong.
        public var message: String
        public var description: String { "line \(position.line), column \(position.column): \(message)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0
    private static let maxDepth = 200

    /// Duplicate keys found while parsing: the second occurrence's path position and the key.
    public private(set) var duplicateKeys: [(key: String, first: SourcePosition, second: SourcePosition)] = []

    /// Prepares to parse UTF-8 text (a leading byte-order mark is skipped).
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// Parses one JSON document; anything but white space after it is an error.
    public mutating func parseDocument() throws(SyntaxError) -> JSONValue {
        skipWhitespace()
        if index >= bytes.count { throw error("the file is empty; expected a JSON object such as {\"destinations\": [], \"jobs\": []}") }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error("unexpected \(describeCurrent()) after the end of the JSON document")
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of file; expected a value") }
        let start = here
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONValue(.string(try parseString()), at: start)
        case UInt8(ascii: "t"): try expectLiteral("true"); return JSONValue(.bool(true), at: start)
        case UInt8(ascii: "f"): try expectLiteral("false"); return JSONValue(.bool(false), at: start)
        case UInt8(ascii: "n"): try expectLiteral("null"); return JSONValue(.null, at: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONValue(.number(try parseNumber()), at: start)
        case UInt8(ascii: "'"):
            throw error("strings must use double quotes (\"), not single quotes")
        case UInt8(ascii: "/"):
            throw error("JSON does not allow comments")
        default:
            throw error("unexpected \(describeCurrent()); expected a value (string, number, object, array, true, false or null)")
        }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        let start = here
        try enter()
        advance()  // {
        var members: [(key: String, keyPosition: SourcePosition, value: JSONValue)] = []
        var seen: [String: SourcePosition] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            advance()
            depth -= 1
            return JSONValue(.object(members), at: start)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file inside an object that starts at \(start); expected a key or '}'") }
            let keyPosition = here
            guard peek == UInt8(ascii: "\"") else {
                if peek == UInt8(ascii: "}") { throw error("trailing comma before '}' is not allowed in JSON") }
                if peek == UInt8(ascii: "/") { throw error("JSON does not allow comments") }
                throw error("unexpected \(describeCurrent()); expected a key in double quotes")
            }
            let key = try parseString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\", found \(describeCurrent())") }
            advance()
            let value = try parseValue()
            if let first = seen[key] {
                duplicateKeys.append((key, first, keyPosition))
            } else {
                seen[key] = keyPosition
            }
            members.append((key, keyPosition, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file inside an object that starts at \(start); expected ',' or '}'") }
            if peek == UInt8(ascii: ",") { advance(); continue }
            if peek == UInt8(ascii: "}") { advance(); break }
            throw error("expected ',' or '}' after the value of \"\(key)\", found \(describeCurrent())")
        }
        depth -= 1
        return JSONValue(.object(members), at: start)
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        let start = here
        try enter()
        advance()  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            advance()
            depth -= 1
            return JSONValue(.array(elements), at: start)
        }
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "]") { throw error("trailing comma before ']' is not allowed in JSON") }
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of file inside an array that starts at \(start); expected ',' or ']'") }
            if peek == UInt8(ascii: ",") { advance(); continue }
            if peek == UInt8(ascii: "]") { advance(); break }
            throw error("expected ',' or ']' in the array, found \(describeCurrent())")
        }
        depth -= 1
        return JSONValue(.array(elements), at: start)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let start = here
        advance()  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = index
        var utf8Run: [UInt8] = []
        func flush(_ run: ArraySlice<UInt8>) { utf8Run.append(contentsOf: run) }
        while true {
            guard index < bytes.count else { throw SyntaxError(position: start, message: "unterminated string; add the closing double quote") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(bytes[runStart..<index])
                advance()
                break
            }
            if byte < 0x20 {
                throw error(byte == 0x0A ? "line break inside a string; strings end with a double quote on the same line (use \\n for a newline)" : "control character inside a string; escape it")
            }
            if byte == UInt8(ascii: "\\") {
                flush(bytes[runStart..<index])
                advance()
                guard index < bytes.count else { throw SyntaxError(position: start, message: "unterminated string") }
                let escape = bytes[index]
                advance()
                var decoded: Unicode.Scalar
                switch escape {
                case UInt8(ascii: "\""): decoded = "\""
                case UInt8(ascii: "\\"): decoded = "\\"
                case UInt8(ascii: "/"): decoded = "/"
                case UInt8(ascii: "b"): decoded = "\u{08}"
                case UInt8(ascii: "f"): decoded = "\u{0C}"
                case UInt8(ascii: "n"): decoded = "\n"
                case UInt8(ascii: "r"): decoded = "\r"
                case UInt8(ascii: "t"): decoded = "\t"
                case UInt8(ascii: "u"):
                    let high = try parseHex4()
                    if (0xD800...0xDBFF).contains(high) {
                        guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired UTF-16 surrogate \\u\(String(high, radix: 16)) in a string")
                        }
                        advance(); advance()
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid UTF-16 surrogate pair in a string") }
                        decoded = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
                    } else if let scalar = Unicode.Scalar(high) {
                        decoded = scalar
                    } else {
                        throw error("unpaired UTF-16 surrogate \\u\(String(high, radix: 16)) in a string")
                    }
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))' in a string; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
                }
                guard let text = String(validating: utf8Run, as: UTF8.self) else { throw SyntaxError(position: start, message: "the string is not valid UTF-8") }
                scalars.append(contentsOf: text.unicodeScalars)
                scalars.append(decoded)
                utf8Run.removeAll(keepingCapacity: true)
                runStart = index
                continue
            }
            advance()
        }
        guard let text = String(validating: utf8Run, as: UTF8.self) else { throw SyntaxError(position: start, message: "the string is not valid UTF-8") }
        scalars.append(contentsOf: text.unicodeScalars)
        return String(scalars)
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else { throw error("\\u must be followed by four hex digits") }
            value = value << 4 | UInt32(digit)
            advance()
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> String {
        let startIndex = index
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        if peek == UInt8(ascii: "-") { advance() }
        guard isDigit(peek) else { throw error("a number needs digits after '-'") }
        if peek == UInt8(ascii: "0") {
            advance()
            if isDigit(peek) { throw error("numbers must not have leading zeros") }
        } else {
            while isDigit(peek) { advance() }
        }
        if peek == UInt8(ascii: ".") {
            advance()
            guard isDigit(peek) else { throw error("a number needs digits after the decimal point") }
            while isDigit(peek) { advance() }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            advance()
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { advance() }
            guard isDigit(peek) else { throw error("a number needs digits in its exponent") }
            while isDigit(peek) { advance() }
        }
        return String(decoding: bytes[startIndex..<index], as: UTF8.self)
    }

    private mutating func expectLiteral(_ word: String) throws(SyntaxError) {
        let start = here
        let startIndex = index
        for byte in word.utf8 {
            guard peek == byte else {
                throw SyntaxError(position: start, message: "unexpected \(describeWord(from: startIndex)); expected a value (did you mean \(word)? JSON literals are lowercase and strings need double quotes)")
            }
            advance()
        }
    }

    // MARK: - Cursor

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    private var here: SourcePosition { SourcePosition(line: line, column: column) }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func advance() {
        let byte = bytes[index]
        index += 1
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { advance() }
    }

    private func describeCurrent() -> String {
        guard let byte = peek else { return "end of file" }
        if byte < 0x80, byte >= 0x20 { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private func describeWord(from startIndex: Int) -> String {
        var end = startIndex
        while end < bytes.count, end - startIndex < 20, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x09, 0x0D].contains(bytes[end]) { end += 1 }
        return "'\(String(decoding: bytes[startIndex..<end], as: UTF8.self))'"
    }

    private func error(_ message: String) -> SyntaxError { SyntaxError(position: here, message: message) }
}
