/// Escaping for the XML bodies backupd sends (DeleteObjects, CompleteMultipartUpload); responses
/// are read by `S3XMLElement.parse`, a real parser.
enum S3XML {
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
