/// Just enough XML for S3's responses: the text of named elements, in document order.
///
/// S3 bodies are flat and machine-written; a full parser would add nothing but cost.
enum S3XML {
    /// The inner text of every `<name>…</name>` element (entities decoded), in order.
    static func values(_ name: String, in xml: String) -> [String] {
        blocks(name, in: xml).map(decodeEntities)
    }

    /// The inner text of the first `<name>` element, if any.
    static func value(_ name: String, in xml: String) -> String? {
        values(name, in: xml).first
    }

    /// The raw inner XML of every `<name>…</name>` element, for repeated groups like `<Contents>`.
    static func blocks(_ name: String, in xml: String) -> [String] {
        var result: [String] = []
        let open = "<\(name)>"
        let close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            guard let end = rest[start.upperBound...].range(of: close) else { break }
            result.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// Replaces the five predefined entities and numeric references.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let scalar: UInt32? = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let scalar, let unicode = Unicode.Scalar(scalar) { out.unicodeScalars.append(unicode) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// Escapes text for an element body.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }
}
