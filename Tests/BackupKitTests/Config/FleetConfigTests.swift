import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Fleet config: hostId and runOn", .ownThreads)
struct FleetConfigTests {
    func load(_ text: String, hostName: String? = "db-host-1") throws -> BackupConfig {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        var sources = files.sources
        sources.hostName = { hostName }
        return try BackupConfig.load(path: "/etc/backupd/config.json", sources: sources).config
    }

    /// Without hostId the machine's hostname is the host id; jobs run on this host by default.
    @Test func defaults() throws {
        let config = try load(configText())
        #expect(config.hostId == "db-host-1")
        #expect(config.jobs[0].runOn == .this)
    }

    /// hostId and runOn "any" are read (generic endpoint: accepted, probed at start).
    @Test func explicitValues() throws {
        let config = try load(configText { root in
            root["hostId"] = "backup-2"
            editJob(&root) { $0["runOn"] = "any" }
        })
        #expect(config.hostId == "backup-2")
        #expect(config.jobs[0].runOn == .any)
    }

    /// A bad hostId is an error naming the file, the path, the value and the valid charset.
    @Test(arguments: ["", "has space", "-dash", ".dot", "slash/no", String(repeating: "h", count: 65), "ünï"])
    func badHostId(value: String) throws {
        let found = problems(configText { $0["hostId"] = value })
        let problem = try #require(found.first { $0.path == "hostId" })
        #expect(problem.severity == .error && problem.file == "/etc/backupd/config.json")
        #expect(problem.message.contains(ConfigReader.quote(value)) && problem.message.contains("letters, digits"))
    }

    /// hostId must be a string; runOn one of "this", "any" (with a suggestion for a near miss).
    @Test func wrongTypesAndValues() throws {
        let typed = problems(configText { $0["hostId"] = 7 })
        #expect(typed.contains { $0.path == "hostId" && $0.message.contains("7") })
        let near = problems(configText { root in editJob(&root) { $0["runOn"] = "anny" } })
        let problem = try #require(near.first { $0.path.hasSuffix("runOn") })
        #expect(problem.path == "jobs[\"app-db\"].runOn" || problem.path.hasPrefix("jobs"))
        #expect(problem.message.contains("\"anny\"") && problem.message.contains("this, any") && problem.message.contains("did you mean \"any\""))
    }

    /// runOn "any" is refused on providers documented to lack conditional writes, naming the
    /// destination, the provider and why; accepted on providers that have them and on generic ones.
    @Test(arguments: [
        ("b2", false), ("garage", false), ("gcs", false), ("aws", true), ("r2", true), ("scaleway", true), ("minio", true), ("ceph", true),
        ("wasabi", true), ("generic", true),
    ])
    func runOnAnyNeedsConditionalWrites(provider: String, accepted: Bool) throws {
        let text = configText { root in
            root["hostId"] = "host-1"
            editDestination(&root) {
                $0["provider"] = provider
                if provider == "r2" { $0["region"] = "auto" }
            }
            editJob(&root) { $0["runOn"] = "any" }
        }
        let found = problems(text).filter { $0.path.hasSuffix("runOn") }
        if accepted {
            #expect(found.isEmpty, "\(found)")
        } else {
            let problem = try #require(found.first)
            #expect(problem.severity == .error)
            #expect(problem.message.contains("\"local\"") && problem.message.contains("provider \(provider)") && problem.message.contains("conditional writes"))
            #expect(problem.message.contains("use \"this\""))
            // The same destination is fine for runOn "this".
            #expect(problems(configText { root in editDestination(&root) { $0["provider"] = provider } }).filter { $0.path.hasSuffix("runOn") }.isEmpty)
        }
    }

    /// runOn "any" without hostId on a machine whose hostname is no valid host id asks for hostId;
    /// runOn "this" does not care.
    @Test func runOnAnyNeedsAHostId() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText { root in editJob(&root) { $0["runOn"] = "any" } }
        var sources = files.sources
        sources.hostName = { nil }
        do {
            _ = try BackupConfig.load(path: "/etc/backupd/config.json", sources: sources)
            Issue.record("runOn any without a host id must be refused")
        } catch {
            #expect(error.problems.contains { $0.path.hasSuffix("runOn") && $0.message.contains("\"hostId\"") })
        }
        #expect(try load(configText(), hostName: nil).hostId == nil)
    }
}
