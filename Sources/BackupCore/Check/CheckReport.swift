/// Everything `backupd check` found for one destination.
public struct CheckReport: Sendable, Equatable {
    /// The destination's name.
    public var destination: String
    /// Endpoint, bucket and region, for the heading.
    public var target: String
    /// The steps in the order they ran.
    public var steps: [CheckStep]
    /// What was checked, for the heading: `destination`, or `job` for a job's database.
    public var subject: String

    /// Describes a finished check.
    public init(destination: String, target: String, steps: [CheckStep], subject: String = "destination") {
        self.destination = destination
        self.target = target
        self.steps = steps
        self.subject = subject
    }

    /// Whether every step passed.
    public var passed: Bool {
        steps.allSatisfy { step in
            switch step.outcome {
            case .ok, .warning: return true
            case .failed, .skipped: return false
            }
        }
    }

    /// The report as the terminal shows it: a heading, then one aligned line per step.
    public func render() -> String {
        let width = (steps.map(\.name.count).max() ?? 0) + 2
        var lines = ["\(subject) \"\(destination)\" (\(target))"]
        for step in steps {
            let (label, detail): (String, String)
            switch step.outcome {
            case .ok(let text): (label, detail) = ("ok     ", text)
            case .failed(let text): (label, detail) = ("FAILED ", text)
            case .skipped(let text): (label, detail) = ("skipped", text)
            case .warning(let text): (label, detail) = ("WARNING", text)
            }
            lines.append("  \(label) \(step.name.padding(toLength: width, withPad: " ", startingAt: 0))\(detail)")
        }
        let failures = steps.filter(\.failed).count
        let warnings = steps.filter { if case .warning = $0.outcome { return true } else { return false } }.count
        let warned = warnings == 0 ? "" : " (\(warnings) with a warning)"
        lines.append(passed ? "  all \(steps.count) checks passed\(warned)" : "  \(failures) of \(steps.count) checks failed")
        return lines.joined(separator: "\n")
    }
}
