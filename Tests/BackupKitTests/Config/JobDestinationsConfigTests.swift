import Foundation
import Testing
@testable import BackupKit

struct JobDestinationsConfigTests {
    /// Config with a second destination named "archive" and `edit` applied to the first job.
    func twoDestinations(_ edit: @escaping (inout [String: Any]) -> Void) -> String {
        configText { root in
            var list = root["destinations"] as! [[String: Any]]
            var archive = list[0]
            archive["name"] = "archive"
            archive["bucket"] = "archive-bucket"
            list.append(archive)
            root["destinations"] = list
            editJob(&root) { job in
                job["destination"] = nil
                edit(&job)
            }
        }
    }

    func load(_ text: String) throws -> BackupConfig {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
    }

    /// A list of names and objects loads in order, with per-destination retention overriding the job's.
    @Test func listWithRetentionOverride() throws {
        let config = try load(twoDestinations { job in
            job["destinations"] = ["local", ["name": "archive", "retention": ["keepMonthly": 24]]]
            job["retention"] = ["keepLast": 3]
        })
        let job = try #require(config.jobs.first)
        #expect(job.destinations == ["local", "archive"])
        #expect(job.destination == "local")
        #expect(job.retention(for: "local") == RetentionPolicy(keepLast: 3))
        #expect(job.retention(for: "archive") == RetentionPolicy(keepMonthly: 24))
    }

    /// The single `destination` key still loads as a one-element list without overrides.
    @Test func singleDestinationStillValid() throws {
        let config = try load(configText())
        let job = try #require(config.jobs.first)
        #expect(job.destinations == ["local"])
        #expect(job.retention(for: "local") == nil)
    }

    /// Each mistake is reported at its JSON path with what would be valid.
    @Test(arguments: [
        (#"{"destination": "local", "destinations": ["archive"]}"#, "jobs[\"app-db\"].destinations", "not both"),
        (#"{"destinations": ["local", "archiv"]}"#, "jobs[\"app-db\"].destinations[1]", "no destination is named \"archiv\" (did you mean \"archive\"?); defined destinations: local, archive"),
        (#"{"destinations": []}"#, "jobs[\"app-db\"].destinations", "at least one destination"),
        (#"{"destinations": ["local", "local"]}"#, "jobs[\"app-db\"].destinations[1]", "listed twice"),
        (#"{"destinations": "local"}"#, "jobs[\"app-db\"].destinations", "expected an array of destination names"),
        (#"{"destinations": [7]}"#, "jobs[\"app-db\"].destinations[0]", "expected a destination name"),
        (#"{"destinations": [{"name": "archive", "retension": {"keepLast": 1}}]}"#, "jobs[\"app-db\"].destinations[0].retension", "did you mean \"retention\"?"),
        (#"{"destinations": [{"name": "archive", "retention": {}}]}"#, "jobs[\"app-db\"].destinations[0].retention", "empty retention policy"),
        ("{}", "jobs[\"app-db\"].destination", "missing required key \"destination\""),
    ])
    func mistakes(keysJSON: String, path: String, fragment: String) throws {
        let keys = try #require(JSONSerialization.jsonObject(with: Data(keysJSON.utf8)) as? [String: Any])
        let found = problems(twoDestinations { job in
            for (key, value) in keys { job[key] = value }
        })
        #expect(found.contains { $0.path == path && $0.message.contains(fragment) }, "\(found.map { "\($0.path): \($0.message)" })")
    }
}
