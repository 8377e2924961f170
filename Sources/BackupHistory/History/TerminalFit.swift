/// Fits a table's text to a terminal's width: rows longer than `width` lose their end (the last,
/// free-text column) behind `…`; the lines after the table (from its first empty line on, such
/// as `status`'s reasons) are wrapped at spaces instead, so no reason is cut off. Pure.
public enum TerminalFit {
    /// `text` with every line at most `width` characters wide (nil or tiny widths: unchanged).
    public static func fit(_ text: String, width: Int?) -> String {
        guard let width, width >= 20 else { return text }
        var inTable = true
        var output: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.isEmpty { inTable = false }
            if line.count <= width {
                output.append(line)
            } else if inTable {
                output.append(String(line.prefix(width - 1)) + "…")
            } else {
                output += wrap(line, width: width)
            }
        }
        return output.joined(separator: "\n")
    }

    /// `line` broken at spaces into lines of at most `width` (a longer word is cut), continuation
    /// lines indented by two spaces.
    static func wrap(_ line: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if candidate.count <= width || current.trimmingPrefix(" ").isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = "  " + word
            }
            while current.count > width {
                lines.append(String(current.prefix(width)))
                current = "  " + current.dropFirst(width)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
