/// Which secrets loading a config resolves (reads from the environment or a file and reports when
/// missing); the others stay references (`Secret.isResolved` false) that the command never uses.
///
/// `validate`, `run` and a SIGHUP reload resolve every secret up front; `history` and `status` need
/// none; `run-now` and `restore` need one job's and its destination's; `list` its destination's.
public enum SecretScope: Sendable, Equatable {
    /// Every secret in the file.
    case all
    /// No secret: only their form is checked.
    case none
    /// The job's own secrets (its connection) and those of the destination it writes to.
    case job(String)
    /// The secrets of the destination this job writes to.
    case destinationOf(job: String)
    /// The secrets of the destination of this name.
    case destination(String)
    /// The secrets of every destination.
    case destinations
}

/// Whose secret a config key is: a destination's or a job's.
enum SecretOwner: Sendable, Equatable {
    case destination(String)
    case job(String)
}

/// A `SecretScope` bound to a parsed document, which says which job writes to which destination.
struct SecretFilter: Sendable {
    let scope: SecretScope
    /// The destination named by the job of `.job` and `.destinationOf` scopes, read from the document.
    let jobDestination: String?

    static let all = SecretFilter(scope: .all, jobDestination: nil)

    init(scope: SecretScope, jobDestination: String?) {
        self.scope = scope
        self.jobDestination = jobDestination
    }

    init(scope: SecretScope, document: JSONValue) {
        var destination: String?
        if case .job(let name) = scope { destination = Self.destination(ofJob: name, in: document) }
        if case .destinationOf(let name) = scope { destination = Self.destination(ofJob: name, in: document) }
        self.init(scope: scope, jobDestination: destination)
    }

    /// Whether a secret of `owner` is resolved. A secret of no known owner is resolved whenever
    /// any secret is, so a key added without an owner is never left unresolved where it is used.
    func includes(_ owner: SecretOwner?) -> Bool {
        switch (scope, owner) {
        case (.all, _): return true
        case (.none, _): return false
        case (_, nil): return true
        case (.job(let job), .job(let name)?): return job == name
        case (.job, .destination(let name)?), (.destinationOf, .destination(let name)?): return name == jobDestination
        case (.destination(let wanted), .destination(let name)?): return wanted == name
        case (.destinations, .destination?): return true
        case (.destinationOf, .job?), (.destination, .job?), (.destinations, .job?): return false
        }
    }

    /// The `destination` string of the job named `job` in a raw config document.
    private static func destination(ofJob job: String, in document: JSONValue) -> String? {
        guard case .object(let root) = document.kind,
              case .array(let jobs)? = root.first(where: { $0.key == "jobs" })?.value.kind else { return nil }
        for item in jobs {
            guard case .object(let members) = item.kind,
                  case .string(let name)? = members.first(where: { $0.key == "name" })?.value.kind, name == job,
                  case .string(let destination)? = members.first(where: { $0.key == "destination" })?.value.kind
            else { continue }
            return destination
        }
        return nil
    }
}
