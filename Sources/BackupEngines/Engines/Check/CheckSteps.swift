import BackupCore

/// The steps of one check, each run only when the steps it needs passed.
struct CheckSteps {
    private(set) var list: [CheckStep] = []

    /// Runs `body` as the step `name` (skipped when `needs` is false); true when it passed.
    @discardableResult
    mutating func run(_ name: String, needs: Bool = true, _ body: () throws -> String) -> Bool {
        guard needs else {
            list.append(CheckStep(name: name, outcome: .skipped("needs an earlier step that failed")))
            return false
        }
        do {
            list.append(CheckStep(name: name, outcome: .ok(try body())))
            return true
        } catch {
            list.append(CheckStep(name: name, outcome: .failed("\(error)")))
            return false
        }
    }

    /// A step that only warns: `body` returns nil when all is well, else the warning.
    mutating func warn(_ name: String, ok: String, _ body: () -> String?) {
        list.append(CheckStep(name: name, outcome: body().map(CheckStep.Outcome.warning) ?? .ok(ok)))
    }
}
