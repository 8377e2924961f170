import BackupCore
import Foundation

/// Proves on a probe key that the provider honours conditional writes, which claims
/// (`runOn: "any"`) stand on: a second `If-None-Match: *` PUT must be refused (412), a wrong
/// `If-Match` must be refused, the right one must pass. Reports each as a check step; cleans up.
public struct ConditionalWriteProbe: Sendable {
    let client: S3Client
    let key: String
    /// Whether a failure is an error (a `runOn: "any"` job keeps its claims here) or a warning.
    let required: Bool

    /// A probe of `client`'s bucket at `key` (a temporary key of its own).
    public init(client: S3Client, key: String, required: Bool) {
        self.client = client
        self.key = key
        self.required = required
    }

    /// Why the provider is unsafe, as the step's failure text.
    static func unsafe(_ what: String) -> String {
        "\(what): the provider ignores the condition, so claims would not be atomic; unsafe for runOn \"any\""
    }

    /// Runs the four steps; `passed` is whether every one did.
    public func run() async -> (steps: [CheckStep], passed: Bool) {
        var steps: [CheckStep] = []
        var passed = true
        var created = false
        func step(_ name: String, needs: Bool = true, _ body: () async throws -> String) async -> Bool {
            guard needs else {
                steps.append(CheckStep(name: name, outcome: .skipped("needs an earlier step that failed")))
                passed = false
                return false
            }
            do {
                steps.append(CheckStep(name: name, outcome: .ok(try await body())))
                return true
            } catch {
                steps.append(CheckStep(name: name, outcome: required ? .failed("\(error)") : .warning("\(error)")))
                passed = false
                return false
            }
        }
        var etag = ""
        let first = await step("Conditional create (If-None-Match)") {
            etag = try await client.createObjectStrictly(key: key, body: Array("probe 1\n".utf8), contentType: "text/plain").etag
            created = true
            return "\(key) created"
        }
        _ = await step("Second create refused (412)", needs: first) {
            do {
                _ = try await client.createObjectStrictly(key: key, body: Array("probe 2\n".utf8), contentType: "text/plain")
            } catch ObjectStoreError.alreadyExists {
                return "a second If-None-Match: * PUT was refused"
            }
            throw ProbeFailure(Self.unsafe("a second If-None-Match: * PUT of \(key) was accepted"))
        }
        let stale = "\"00000000000000000000000000000000\""
        _ = await step("Wrong If-Match refused (412)", needs: first) {
            do {
                _ = try await client.replaceObject(key: key, ifMatch: stale, body: Array("probe 3\n".utf8), contentType: "text/plain")
            } catch ObjectStoreError.preconditionFailed {
                return "a PUT with a wrong If-Match was refused"
            }
            throw ProbeFailure(Self.unsafe("a PUT of \(key) with a wrong If-Match was accepted"))
        }
        _ = await step("Right If-Match accepted", needs: first) {
            // After an ignored condition the ETag moved on: read the current one, as a claim renewal would.
            let current = try await client.readVersioned(key: key).etag ?? etag
            _ = try await client.replaceObject(key: key, ifMatch: current, body: Array("probe 4\n".utf8), contentType: "text/plain")
            return "a PUT with the current ETag replaced the object"
        }
        if created { _ = try? await client.deleteObject(key: key) }
        return (steps, passed)
    }
}

/// A probe step's failure, as its text.
struct ProbeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
