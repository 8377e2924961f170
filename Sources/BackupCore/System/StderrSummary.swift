import Foundation

/// Turns a tool's stderr tail into the one line an error, a history row or a webhook carries: the
/// lines that say `error`, `ERROR` or `FATAL` first (the cause), then how the stream ended, so a
/// failure never reads as a bare `);`. Paths of backupd's temporary credential files are replaced
/// by where the secret comes from in the config.
public enum StderrSummary {
    /// The longest summary, in characters.
    static let limit = 1000
    /// Error lines kept (the first ones: later errors usually follow from the first).
    static let errorLines = 3
    /// Lines of the tail kept after the error lines.
    static let tailLines = 2

    /// The summary of `stderr` for `job` (which names the password's place in the config).
    public static func summarize(_ stderr: String, job: String? = nil) -> String {
        let text = rewriteCredentialPaths(stderr, job: job)
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !lines.isEmpty else { return "" }
        var seen = Set<String>()
        let errors = lines.filter(isErrorLine).filter { seen.insert($0).inserted }.prefix(errorLines)
        let rest = lines.filter { !seen.contains($0) }
        var summary: String
        if errors.isEmpty {
            // A last line of punctuation (`);`) says nothing alone: show the lines before it too.
            let last = lines.last!
            summary = last.count >= 8 ? last : lines.suffix(3).joined(separator: " | ")
        } else {
            summary = errors.joined(separator: "; ")
            let tail = Array(rest.suffix(tailLines))
            if !tail.isEmpty, lines.last.map({ !errors.contains($0) }) ?? false {
                summary += " (stderr ends: \(tail.joined(separator: " | ")))"
            }
        }
        return summary.count > limit ? String(summary.prefix(limit - 1)) + "…" : summary
    }

    /// Whether a line reports an error (`pg_restore: error:`, `ERROR:`, `FATAL:`, `ERROR 1045`).
    static func isErrorLine(_ line: String) -> Bool {
        line.lowercased().contains("error") || line.contains("FATAL") || line.hasPrefix("fatal:")
    }

    /// `stderr` with libpq's `password retrieved from file "/dev/shm/backupd-secrets-…/1-pgpass"`
    /// rewritten to name the config key the password comes from, and any other path inside a
    /// backupd credentials directory replaced (it is gone by the time anyone reads the message).
    public static func rewriteCredentialPaths(_ stderr: String, job: String?) -> String {
        guard stderr.contains("backupd-secrets-") || stderr.contains("password retrieved from file") else { return stderr }
        let source = job.map { "jobs[\"\($0)\"].connection.password" } ?? "the job's connection.password"
        var text = stderr.replacingOccurrences(
            of: #"password retrieved from file "[^"\n]*""#, with: "password taken from \(source)", options: .regularExpression)
        text = text.replacingOccurrences(
            of: #"[^\s"'=]*backupd-secrets-[A-Za-z0-9]{6}(/[0-9]+-[A-Za-z0-9_.-]+)?"#, with: "<backupd credentials file>", options: .regularExpression)
        return text
    }
}
