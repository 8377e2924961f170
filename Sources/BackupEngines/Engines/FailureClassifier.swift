import BackupCore
import Foundation

/// Recognises the usual failures in a tool's stderr (read in the C locale).
package struct FailureClassifier {
    var refused: [String] = []
    var authentication: [String] = []
    var missingDatabase: [String] = []
    var versionMismatch: [String] = []

    /// The recognised failure, or nil.
    func classify(
        job: String, tool: String, stderr: String, target: String, user: String, database: String
    ) -> EngineError? {
        let text = stderr.lowercased()
        let detail = StderrSummary.summarize(stderr, job: job)
        if versionMismatch.contains(where: text.contains) {
            return .toolFailed(job: job, tool: tool, exit: .exited(1), detail: detail + " (the tool is older than the server; install newer client tools)")
        }
        if authentication.contains(where: text.contains) {
            return .authenticationFailed(job: job, user: user, detail: detail)
        }
        if missingDatabase.contains(where: text.contains) {
            return .databaseMissing(job: job, database: database, detail: detail)
        }
        if refused.contains(where: text.contains) {
            return .connectionRefused(job: job, target: target, detail: detail)
        }
        return nil
    }

    /// The last non-empty line of `text`, trimmed, at most 500 characters.
    package static func lastLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) } ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > 500 ? String(trimmed.suffix(500)) : trimmed
    }
}

/// Compares dotted version numbers ("15.4" < "16.0").
enum VersionNumber {
    /// The numeric components of the first dotted number in `text`.
    static func parse(_ text: Substring) -> [Int] {
        var components: [Int] = []
        var current = ""
        for character in text {
            if character.isASCII && character.isNumber {
                current.append(character)
            } else if character == "." && !current.isEmpty {
                components.append(Int(current) ?? 0)
                current = ""
            } else if !current.isEmpty || !components.isEmpty {
                break
            }
        }
        if !current.isEmpty { components.append(Int(current) ?? 0) }
        return components
    }

    /// True when `a` is older than `b` in the first `depth` components.
    static func older(_ a: [Int], than b: [Int], depth: Int) -> Bool {
        for index in 0..<depth {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            if x != y { return x < y }
        }
        return false
    }
}
