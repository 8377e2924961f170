import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite(.ownThreads)
struct JobDestinationsConfigTests {
    /// Config with a second destination named "archive" and `edit` applied to the first job.
    func twoDestinations(_ edit: @escaping (inout [String: Any]) -> Void) -> String {
        configText { root in
            addArchiveDestination(&root)
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

    /// Config whose second destination "archive" is `endpoint` and `bucket`, listed after "local"
    /// (at `localEndpoint`, bucket "backups") by the first job.
    func sharing(endpoint: String, bucket: String, localEndpoint: String = "http://127.0.0.1:9000") -> String {
        configText { root in
            var list = root["destinations"] as! [[String: Any]]
            list[0]["endpoint"] = localEndpoint
            var archive = list[0]
            archive["name"] = "archive"
            archive["endpoint"] = endpoint
            archive["bucket"] = bucket
            list.append(archive)
            root["destinations"] = list
            editJob(&root) { job in
                job["destination"] = nil
                job["destinations"] = ["local", ["name": "archive", "retention": ["keepLast": 2]]]
            }
        }
    }

    /// Two destinations of a job on one bucket of one server (spelled differently: case, default
    /// port) are rejected at the second entry, naming the file, its position, both names, the bucket and the fix.
    @Test(arguments: [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"), ("http://127.0.0.1:9000", "HTTP://127.0.0.1:9000/"), ("http://127.0.0.1", "http://127.0.0.1:80"),
    ])
    func sameBucketTwiceRejected(localEndpoint: String, endpoint: String) throws {
        let all = problems(sharing(endpoint: endpoint, bucket: "backups", localEndpoint: localEndpoint))
        let problem = try #require(all.first { $0.path == #"jobs["app-db"].destinations[1]"# }, "\(all)")
        #expect(problem.severity == .error)
        #expect(problem.file == "/etc/backupd/config.json" && problem.position != nil)
        #expect(problem.message.contains(#"destination "archive" is bucket "backups""#), "\(problem.message)")
        #expect(problem.message.contains(#"the same as "local" (destinations[0])"#), "\(problem.message)")
        #expect(problem.message.contains("overwrite each other") && problem.message.contains("different buckets or endpoints"), "\(problem.message)")
        #expect(problem.description.contains("/etc/backupd/config.json:"), "\(problem.description)")
    }

    /// The same bucket name in another bucket (name) or on another server (host, port) is a distinct bucket.
    @Test(arguments: [("http://127.0.0.1:9000", "archive-bucket"), ("http://127.0.0.1:9001", "backups"), ("http://localhost:9000", "backups")])
    func distinctBucketsAccepted(endpoint: String, bucket: String) throws {
        let config = try load(sharing(endpoint: endpoint, bucket: bucket))
        #expect(config.jobs.first?.destinations == ["local", "archive"])
    }

    /// AWS bucket names are global: the same bucket through two regional endpoints is one bucket.
    @Test func awsRegionalEndpointsShareBucketNames() throws {
        let text = sharing(endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "backups", localEndpoint: "https://s3.amazonaws.com")
        #expect(problems(text).contains { $0.path == #"jobs["app-db"].destinations[1]"# && $0.message.contains("the same as \"local\"") })
    }
}
