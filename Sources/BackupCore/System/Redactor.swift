import Foundation

/// Removes secret values from text before it reaches a log, an error or the history (a tool may
/// echo its connection string or a config line in an error message).
public struct Redactor: Sendable {
    /// What replaces each secret.
    public static let mask = "<redacted>"
    private let needles: [String]
    private let job: String?

    /// Redacts these secrets, also in their percent-encoded form (as they appear inside URIs); a
    /// temporary credentials file a tool names is replaced by `job`'s config key for the password.
    public init(secrets: [Secret], job: String? = nil) {
        self.job = job
        var needles = Set<String>()
        for secret in secrets where !secret.value.isEmpty {
            needles.insert(secret.value)
            if let encoded = secret.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret.value {
                needles.insert(encoded)
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.needles = needles.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// `text` with every occurrence of every secret replaced by `Redactor.mask`.
    public func redact(_ text: String) -> String {
        var result = StderrSummary.rewriteCredentialPaths(text, job: job)
        for needle in needles where result.contains(needle) {
            result = result.replacingOccurrences(of: needle, with: Self.mask)
        }
        return result
    }
}
