/// Turns cron text into a `CronSpec`, or a `CronError` that names the offending token by its
/// character offset. Works on `Character`s so positions match what a user sees.
struct CronParser {
    /// The macros CRON.md allows, in the order error messages list them.
    static let macros: [(name: String, expansion: String)] = [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ]

    private static let fieldList = "(minute hour day-of-month month day-of-week)"

    private let text: String
    let chars: [Character]

    init(_ text: String) {
        self.text = text
        self.chars = Array(text)
    }

    /// A field's character range in `chars`.
    struct Span {
        var start: Int
        var end: Int
    }

    func parse() throws(CronError) -> CronSpec {
        if let bad = chars.firstIndex(where: { $0 != "\t" && ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) }) {
            let value = chars[bad].unicodeScalars.first?.value ?? 0
            let hex = String(value, radix: 16, uppercase: true)
            let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            throw error(at: bad, token: String(chars[bad]),
                        "unexpected control character U+\(code); fields are separated by spaces or tabs")
        }
        let fields = splitFields()
        guard let first = fields.first else {
            throw error(at: 0, token: "",
                        "empty expression; expected 5 fields \(Self.fieldList) or a macro such as @daily")
        }
        if chars[first.start] == "@" { return try parseMacro(fields) }

        let kinds: [CronField]
        switch fields.count {
        case 5: kinds = [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case 6: kinds = [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case ..<5:
            throw error(at: chars.count, token: "", "expected 5 fields \(Self.fieldList), found \(fields.count)")
        default:
            throw error(at: fields[6].start, token: string(fields[6]),
                        "expected 5 fields \(Self.fieldList), or 6 with seconds first, found \(fields.count)")
        }

        var spec = CronSpec()
        spec.hasSeconds = fields.count == 6
        var spans: [CronField: Span] = [:]
        for (kind, span) in zip(kinds, fields) {
            spans[kind] = span
            try parseField(kind, span, into: &spec)
        }
        let minute = spans[.minute]!, hour = spans[.hour]!
        let dayOfMonth = spans[.dayOfMonth]!, dayOfWeek = spans[.dayOfWeek]!
        spec.isFixedTime = chars[minute.start] != "*" && chars[hour.start] != "*"
        let unrestricted: (Span) -> Bool = { chars[$0.start] == "*" || chars[$0.start] == "?" }
        spec.dayRule = unrestricted(dayOfMonth) || unrestricted(dayOfWeek) ? .and : .or
        try checkCanFire(spec, dayOfMonth: dayOfMonth, dayOfWeek: dayOfWeek)
        return spec
    }

    // MARK: - Structure

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }

    private func splitFields() -> [Span] {
        var fields: [Span] = []
        var i = 0
        while i < chars.count {
            if Self.isBlank(chars[i]) {
                i += 1
                continue
            }
            let start = i
            while i < chars.count, !Self.isBlank(chars[i]) { i += 1 }
            fields.append(Span(start: start, end: i))
        }
        return fields
    }

    private func parseMacro(_ fields: [Span]) throws(CronError) -> CronSpec {
        let name = string(fields[0])
        guard let macro = Self.macros.first(where: { $0.name == name }) else {
            let valid = Self.macros.map(\.name).joined(separator: " ")
            let hint = Self.macros.contains { $0.name == name.lowercased() } ? " (macros are lowercase)" : ""
            throw error(at: fields[0].start, token: name, "unknown macro \"\(name)\"; valid macros: \(valid)\(hint)")
        }
        if fields.count > 1 {
            let extra = string(Span(start: fields[1].start, end: fields.last!.end))
            throw error(at: fields[1].start, token: string(fields[1]),
                        "macro \(name) must be the whole expression; remove \"\(extra)\" after it")
        }
        return try CronParser(macro.expansion).parse()
    }

    // MARK: - Fields and items

    private func parseField(_ kind: CronField, _ span: Span, into spec: inout CronSpec) throws(CronError) {
        var bits: UInt64 = 0
        var itemStart = span.start
        for i in span.start...span.end where i == span.end || chars[i] == "," {
            if i == itemStart {
                let comma = i < span.end ? i : i - 1
                throw error(at: comma, token: ",",
                            "\(kind.name) field: empty list item in \"\(string(span))\"; remove the extra comma")
            }
            try parseItem(kind, Span(start: itemStart, end: i), bits: &bits, spec: &spec)
            itemStart = i + 1
        }
        switch kind {
        case .second: spec.seconds = bits
        case .minute: spec.minutes = bits
        case .hour: spec.hours = bits
        case .dayOfMonth: spec.daysOfMonth = bits
        case .month: spec.months = bits
        case .dayOfWeek: spec.daysOfWeek = bits
        }
    }

    private func parseItem(
        _ kind: CronField, _ item: Span, bits: inout UInt64, spec: inout CronSpec
    ) throws(CronError) {
        let range = kind.range
        if item.end - item.start == 1, chars[item.start] == "?" {
            guard kind == .dayOfMonth || kind == .dayOfWeek else {
                throw error(item, "\(kind.name) field: ? is only allowed in the day-of-month and day-of-week fields")
            }
            bits |= Self.mask(range, step: 1, kind: kind)
            return
        }
        if kind == .dayOfMonth, try parseDayOfMonthExtension(item, spec: &spec) { return }
        if kind == .dayOfWeek, try parseDayOfWeekExtension(item, spec: &spec) { return }

        let slash = firstIndex(of: "/", in: item)
        let base = Span(start: item.start, end: slash ?? item.end)
        var low: Int
        var high: Int
        if chars[base.start] == "*" {
            guard base.end - base.start == 1 else {
                throw error(base, "\(kind.name) field: \"\(string(base))\" is not valid; * stands alone or takes a step, as in */5")
            }
            (low, high) = (range.lowerBound, range.upperBound)
        } else if let dash = firstIndex(of: "-", in: Span(start: base.start + 1, end: base.end)) {
            low = try value(kind, Span(start: base.start, end: dash), context: "before -")
            high = try value(kind, Span(start: dash + 1, end: base.end), context: "after -")
            guard low <= high else {
                let written = string(base)
                throw error(base, "\(kind.name) field: range \(written) is reversed (\(low) > \(high)); "
                    + "ranges run from low to high and do not wrap around")
            }
        } else {
            low = try value(kind, base, context: "")
            high = slash == nil ? low : range.upperBound
        }
        var step = 1
        if let slash { step = try parseStep(kind, Span(start: slash + 1, end: item.end), after: slash) }
        bits |= Self.mask(low...high, step: step, kind: kind)
    }

    private static func mask(_ values: ClosedRange<Int>, step: Int, kind: CronField) -> UInt64 {
        var bits: UInt64 = 0
        for v in stride(from: values.lowerBound, through: values.upperBound, by: step) {
            bits |= 1 << UInt64(kind == .dayOfWeek ? v % 7 : v)
        }
        return bits
    }

    private func parseStep(_ kind: CronField, _ span: Span, after slash: Int) throws(CronError) -> Int {
        let maxStep = kind.range.upperBound
        guard span.end > span.start else {
            throw error(at: slash, token: "/", "\(kind.name) field: a step is missing after /; a step must be 1-\(maxStep)")
        }
        guard let step = decimal(span) else {
            throw error(span, "\(kind.name) field: step \"\(string(span))\" is invalid; a step must be a whole number 1-\(maxStep)")
        }
        guard (1...maxStep).contains(step) else {
            throw error(span, "\(kind.name) field: step \(string(span)) is invalid; a step must be 1-\(maxStep)")
        }
        return step
    }

    /// A number or (month, day-of-week) a three-letter name, checked against the field's range.
    func value(_ kind: CronField, _ span: Span, context: String) throws(CronError) -> Int {
        let valid = kind.validValues
        guard span.end > span.start else {
            let at = min(span.start, chars.count)
            throw error(at: at, token: "", "\(kind.name) field: a value is missing \(context); use \(valid)")
        }
        let written = string(span)
        if let number = decimal(span) {
            guard kind.range.contains(number) else {
                throw error(span, "\(kind.name) field: \(written) is out of range \(kind.range.lowerBound)-\(kind.range.upperBound)")
            }
            return number
        }
        let characters = chars[span.start..<span.end]
        if characters.allSatisfy({ $0.isASCII && $0.isLetter }) {
            if let named = kind.value(ofName: Substring(written)) { return named }
            switch kind {
            case .month: throw error(span, "month field: \"\(written)\" is not a month name; use JAN-DEC or 1-12")
            case .dayOfWeek: throw error(span, "day-of-week field: \"\(written)\" is not a day name; use SUN-SAT or 0-7")
            default:
                throw error(span, "\(kind.name) field: \"\(written)\" is not a number; use \(valid) "
                    + "(names are only allowed in the month and day-of-week fields)")
            }
        }
        let reason: String
        if let first = characters.first, first == "+" || first == "-" {
            reason = "\"\(written)\" has a sign; use a plain number \(valid)"
        } else if characters.contains(".") {
            reason = "\"\(written)\" is not a whole number; use \(valid)"
        } else if written.lowercased().hasPrefix("0x") {
            reason = "\"\(written)\" is hexadecimal; use a decimal number \(valid)"
        } else if characters.contains(where: { $0.isNumber && !$0.isASCII }) {
            reason = "\"\(written)\" has non-ASCII digits; use the digits 0-9: \(valid)"
        } else if characters.contains("-") {
            reason = "\"\(written)\" is not a valid value; a range has exactly one -, as in 1-5"
        } else {
            reason = "\"\(written)\" is not a valid value; use \(valid)"
        }
        throw error(span, "\(kind.name) field: \(reason)")
    }

    /// The value of an all-ASCII-digit span (saturating, so huge numbers are just out of range).
    func decimal(_ span: Span) -> Int? {
        guard span.end > span.start else { return nil }
        var result = 0
        for c in chars[span.start..<span.end] {
            guard let ascii = c.asciiValue, (48...57).contains(ascii) else { return nil }
            result = min(result * 10 + Int(ascii - 48), 1_000_000_000)
        }
        return result
    }

    // MARK: - Helpers

    func string(_ span: Span) -> String { String(chars[span.start..<span.end]) }

    func firstIndex(of c: Character, in span: Span) -> Int? {
        guard span.start < span.end else { return nil }
        return (span.start..<span.end).first { chars[$0] == c }
    }

    func error(_ span: Span, _ reason: String) -> CronError {
        error(at: span.start, token: string(span), reason)
    }

    func error(at position: Int, token: String, _ reason: String) -> CronError {
        CronError(expression: text, position: position, token: token, reason: reason)
    }
}
