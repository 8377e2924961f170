/// Which secrets loading a config resolves (reads from the environment or a file and reports when
/// missing); the others stay references (`Secret.isResolved` false) that the command never uses.
///
/// `validate`, `run` and a SIGHUP reload resolve every secret up front; `history` and `status` need
/// none; `run-now` and `restore` need one job's and its destinations'; `list` its destinations'.
public enum SecretScope: Sendable, Equatable {
    /// Every secret in the file.
    case all
    /// No secret: only their form is checked.
    case none
    /// The job's own secrets (its connection) and those of the destinations it writes to.
    case job(String)
    /// The secrets of the destinations this job writes to.
    case destinationOf(job: String)
    /// The secrets of the destination of this name (or, when a job has this name, of its destinations).
    case destination(String)
    /// The secrets of every destination.
    case destinations
}

/// Whose secret a config key is: a destination's or a job's.
enum SecretOwner: Sendable, Equatable {
    case destination(String)
    case job(String)
}

/// A `SecretScope` bound to a parsed document, which says which job writes to which destinations.
struct SecretFilter: Sendable {
    let scope: SecretScope
    /// The destinations named by the job of `.job` and `.destinationOf` scopes, and by a job that a
    /// `.destination` scope names (its `destination`, or every name in its `destinations`), read
    /// from the document.
    let jobDestinations: [String]

    static let all = SecretFilter(scope: .all, jobDestinations: [])

    init(scope: SecretScope, jobDestinations: [String]) {
        self.scope = scope
        self.jobDestinations = jobDestinations
    }

    init(scope: SecretScope, document: JSONValue) {
        var destinations: [String] = []
        if case .job(let name) = scope { destinations = Self.destinations(ofJob: name, in: document) }
        if case .destinationOf(let name) = scope { destinations = Self.destinations(ofJob: name, in: document) }
        // `backupd check JOB` names a job where a destination is expected: its destinations' secrets then.
        if case .destination(let name) = scope { destinations = Self.destinations(ofJob: name, in: document) }
        self.init(scope: scope, jobDestinations: destinations)
    }

    /// Whether a secret of `owner` is resolved. A secret of no known owner is resolved whenever
    /// any secret is, so a key added without an owner is never left unresolved where it is used.
    func includes(_ owner: SecretOwner?) -> Bool {
        switch (scope, owner) {
        case (.all, _): return true
        case (.none, _): return false
        case (_, nil): return true
        case (.job(let job), .job(let name)?): return job == name
        case (.job, .destination(let name)?), (.destinationOf, .destination(let name)?): return jobDestinations.contains(name)
        case (.destination(let wanted), .destination(let name)?): return wanted == name || jobDestinations.contains(name)
        case (.destinations, .destination?): return true
        case (.destinationOf, .job?), (.destination, .job?), (.destinations, .job?): return false
        }
    }

    /// The `destination` string, or the names in `destinations` (strings or `{"name": ...}`
    /// objects), of the job named `job` in a raw config document.
    private static func destinations(ofJob job: String, in document: JSONValue) -> [String] {
        guard case .object(let root) = document.kind,
              case .array(let jobs)? = root.first(where: { $0.key == "jobs" })?.value.kind else { return [] }
        for item in jobs {
            guard case .object(let members) = item.kind,
                  case .string(let name)? = members.first(where: { $0.key == "name" })?.value.kind, name == job
            else { continue }
            var names: [String] = []
            if case .string(let destination)? = members.first(where: { $0.key == "destination" })?.value.kind { names.append(destination) }
            if case .array(let list)? = members.first(where: { $0.key == "destinations" })?.value.kind {
                for entry in list {
                    switch entry.kind {
                    case .string(let destination): names.append(destination)
                    case .object(let fields):
                        if case .string(let destination)? = fields.first(where: { $0.key == "name" })?.value.kind { names.append(destination) }
                    default: continue
                    }
                }
            }
            return names
        }
        return []
    }
}
