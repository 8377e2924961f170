import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Every command's `--json` through the real `backupd` binary against radosgw and a temporary
/// state directory, validated against docs/schemas (docs/json.md), plus the overview of `list`.
@Suite("backupd --json output against docs/schemas, and the list overview", .ownThreads)
struct JSONOutputCommandTests {
    /// A bucket, job `app` (a `command` job writing a UUID) in a config without retention and one
    /// keeping the last backup, one where app's tool fails ("failing"), one where `idle` is at a
    /// destination whose bucket does not exist ("lost"); job `idle` (never run); a temporary state directory.
    struct Setup {
        let s3: TestS3
        let bucket: String
        let state: String
        let environment = Pipeline.defaultEnvironment

        init() async throws {
            s3 = try TestS3.environment()
            let destination = try await TestDestination.make()
            bucket = destination.json["bucket"] as! String
            state = FileManager.default.temporaryDirectory.path + "/backupd-json-\(UUID().uuidString)"
            var missing = destination.json
            missing["name"] = "missing"
            missing["bucket"] = "backupd-json-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())"
            for (name, retention) in [("keep-all", nil), ("keep-last-1", ["keepLast": 1]), ("failing", nil), ("lost", nil)] as [(String, [String: Int]?)] {
                // "failing": job app's tool writes a line to stderr and exits 3.
                let argv = name == "failing" ? ["sh", "-c", "echo 'ERROR: no such table' >&2; exit 3"] : ["cat", "/proc/sys/kernel/random/uuid"]
                var root: [String: Any] = [
                    "stateDirectory": state, "timeZone": "Europe/Berlin", "destinations": [destination.json, missing],
                    "jobs": [
                        ["name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli",
                         "connection": ["argv": argv, "extension": ".out"]],
                        ["name": "idle", "engine": "command", "schedule": "0 4 * * *", "destination": name == "lost" ? "missing" : "test", "prefix": "idle",
                         "connection": ["argv": ["cat", "/proc/sys/kernel/random/uuid"], "extension": ".out"]],
                    ],
                ]
                if let retention { root["retention"] = retention }
                let path = state + "-\(name).json"
                try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
                chmod(path, 0o600)
            }
        }

        func remove() {
            for name in ["keep-all", "keep-last-1", "failing", "lost"] { try? FileManager.default.removeItem(atPath: state + "-\(name).json") }
            try? FileManager.default.removeItem(atPath: state)
        }

        func backupd(_ arguments: [String], config name: String = "keep-all") throws -> (status: Int32, stdout: String, stderr: String) {
            // `cron next` reads no config.
            let config = arguments.first == "cron" ? [] : ["--config", state + "-\(name).json"]
            return try runBackupd(arguments + config, environment: environment, timeout: 120)
        }

        /// Runs `arguments`, expects `status`, validates stdout against `schema`; the parsed document.
        @discardableResult
        func valid(_ arguments: [String], schema: String, status: Int32 = 0, config: String = "keep-all") throws -> Any {
            let run = try backupd(arguments, config: config)
            #expect(run.status == status, "\(arguments): \(run.stderr)")
            let errors = try JSONSchemaValidator.errors(run.stdout, schema: schema)
            #expect(errors.isEmpty, "\(arguments) against \(schema): \(errors)\n\(run.stdout)")
            return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8), options: [.fragmentsAllowed])
        }

        func put(_ key: String) throws {
            let body = state + "-body"
            try Data("operator's file\n".utf8).write(to: URL(fileURLWithPath: body))
            defer { try? FileManager.default.removeItem(atPath: body) }
            let result = try s3.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body])
            guard result.status == 0 else { throw TestSetupError("aws put-object \(key) failed: \(result.error)") }
        }
    }

    /// Two backups, one verified, a stranger: list (overview and per job), history, verify, status,
    /// check, cron next and prune (dry run, then for real) print JSON that validates against their
    /// schemas with the documented values (camelCase history, UTC times, byte sizes, decisions).
    @Test func everyCommandsJSONValidates() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        var ids: [String] = []
        for index in 0..<2 {
            if index > 0 { try? await Task.sleep(for: .seconds(1.1)) }
            let run = try #require(try setup.valid(["run-now", "app", "--json"], schema: "run-now") as? [String: Any])
            #expect(run["status"] as? String == "succeeded" && run["bytesStored"] is Int, "\(run)")
            let listed = try #require(try setup.valid(["list", "app", "--json"], schema: "list") as? [[String: Any]])
            ids.insert(try #require(listed.first?["id"] as? String), at: 0)
            #expect(run["backupId"] as? String == ids[0])
        }
        try setup.put("cli/app-notes.txt")
        let verify = try #require(try setup.valid(["verify", "app", "--json"], schema: "verify") as? [[String: Any]])
        #expect(verify.first?["backupId"] as? String == ids[0] && verify.first?["passed"] as? Bool == true)

        let list = try #require(try setup.valid(["list", "app", "--all", "--json"], schema: "list") as? [[String: Any]])
        #expect(list.compactMap { $0["state"] as? String }.sorted() == ["complete", "complete", "stranger"])

        let overview = try #require(try setup.valid(["list", "--json"], schema: "list-overview") as? [String: Any])
        let sections = try #require(overview["jobs"] as? [[String: Any]])
        #expect(sections.map { $0["job"] as? String } == ["app", "idle"])
        #expect(sections[0]["count"] as? Int == 2 && sections[1]["count"] as? Int == 0)
        let newest = try #require((sections[0]["backups"] as? [[String: Any]])?.first)
        #expect(newest["id"] as? String == ids[0] && newest["verification"] as? String == "passed")
        #expect((newest["time"] as? String)?.hasSuffix("Z") == true && newest["size"] is Int)

        let history = try #require(try setup.valid(["history", "--json"], schema: "history") as? [[String: Any]])
        #expect(history.count == 2 && history.allSatisfy { $0["bytesStored"] is Int && $0["startedAt"] is String && $0["started_at"] == nil })

        let status = try #require(try setup.valid(["status", "--json"], schema: "status", status: 1) as? [String: Any])
        #expect(status["ok"] as? Bool == false)  // idle never succeeded
        let jobs = try #require(status["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["state"] as? String } == ["ok", "never-succeeded"])

        let check = try #require(try setup.valid(["check", "test", "--json"], schema: "check") as? [String: Any])
        #expect(check["passed"] as? Bool == true)
        #expect(((check["reports"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]])?.contains { $0["name"] as? String == "PutObject" && $0["outcome"] as? String == "ok" } == true)
        try setup.valid(["check", "app", "--json"], schema: "check")
        let missing = try #require(try setup.valid(["check", "missing", "--json"], schema: "check", status: 1) as? [String: Any])
        #expect(missing["passed"] as? Bool == false)
        #expect(((missing["reports"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]])?.contains { $0["outcome"] as? String == "failed" } == true)

        let cron = try #require(try setup.valid(
            ["cron", "next", "--json", "--tz", "Europe/Berlin", "--from", "2026-03-29T00:00:00Z", "--count", "2", "0 3 * * *"],
            schema: "cron-next") as? [String: Any])
        let times = try #require(cron["times"] as? [[String: String]])
        #expect(times.first == ["time": "2026-03-29T01:00:00Z", "local": "2026-03-29T03:00:00+02:00"])

        let validate = try #require(try setup.valid(["validate", "--json"], schema: "validate") as? [String: Any])
        #expect(validate["valid"] as? Bool == true && (validate["jobs"] as? [[String: Any]])?.first?["nextRuns"] as? [String] != nil)
        let broken = setup.state + "-broken.json"
        try Data(#"{"jobs": [{"name": "x", "schedule": "61 * * * *"}]}"#.utf8).write(to: URL(fileURLWithPath: broken))
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let invalid = try runBackupd(["validate", "--json", "--config", broken], environment: setup.environment, timeout: 60)
        #expect(invalid.status == 1)
        #expect(try JSONSchemaValidator.errors(invalid.stdout, schema: "validate").isEmpty, "\(invalid.stdout)")
        let problems = try #require((try JSONSerialization.jsonObject(with: Data(invalid.stdout.utf8)) as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.contains { $0["severity"] as? String == "error" && $0["line"] is Int && ($0["path"] as? String)?.hasPrefix("jobs") == true }, "\(problems)")

        let dry = try #require(try setup.valid(["prune", "app", "--dry-run", "--json"], schema: "prune", config: "keep-last-1") as? [[String: Any]])
        let planned = try #require(dry.first?["backups"] as? [[String: Any]])
        #expect(planned.map { $0["decision"] as? String } == ["keep", "delete"])
        #expect(planned.map { $0["outcome"] as? String } == ["kept", "would-delete"])
        #expect(planned.first?["reasons"] as? [String] == ["last"])
        #expect(dry.first?["strangers"] as? [String] == ["cli/app-notes.txt"])
        let pruned = try #require(try setup.valid(["prune", "app", "--json"], schema: "prune", config: "keep-last-1") as? [[String: Any]])
        #expect((pruned.first?["backups"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["kept", "deleted"])
        #expect(pruned.first?["deletedObjects"] as? Int == 2)

        // A stored backup's manifest removed behind backupd's back: kept as manifest-missing, deletions withheld.
        try? await Task.sleep(for: .seconds(1.1))
        try #require(try setup.backupd(["run-now", "app"]).status == 0)
        let result = try setup.s3.aws(["s3api", "delete-object", "--bucket", setup.bucket, "--key", "cli/\(ids[0]).manifest.json"])
        try #require(result.status == 0, "\(result.error)")
        let withheld = try #require(try setup.valid(["prune", "app", "--dry-run", "--json"], schema: "prune", status: 1, config: "keep-last-1") as? [[String: Any]])
        #expect((withheld.first?["backups"] as? [[String: Any]])?.contains { $0["id"] as? String == ids[0] && $0["state"] as? String == "manifest-missing" } == true)
        #expect(withheld.first?["withheld"] is String && withheld.first?["ok"] as? Bool == false)

        // A failing run: the JSON carries the status, the error and the tool's stderr; exit 1 as without --json.
        let failed = try #require(try setup.valid(["run-now", "app", "--json"], schema: "run-now", status: 1, config: "failing") as? [String: Any])
        #expect(failed["status"] as? String == "failed" && (failed["stderrTail"] as? String)?.contains("ERROR: no such table") == true, "\(failed)")
        try setup.valid(["history", "app", "--status", "failed", "--json"], schema: "history")
    }

    /// The validator can fail: a document without the schema's required keys, or with a time
    /// without an offset, is rejected with the path of each error.
    @Test func validatorRejectsWrongDocuments() throws {
        #expect(!(try JSONSchemaValidator.errors("{}", schema: "status")).isEmpty)
        let local = #"{"expression": "@daily", "timeZone": "UTC", "from": "2026-03-29T00:00:00", "times": []}"#
        #expect(try JSONSchemaValidator.errors(local, schema: "cron-next").contains { $0.hasPrefix("from:") })
    }

    /// Every example in docs/json.md validates against the schema its section names, and every
    /// schema in docs/schemas has an example there.
    @Test func documentedExamplesValidate() throws {
        let docs = URL(fileURLWithPath: JSONSchemaValidator.schemas).deletingLastPathComponent().appendingPathComponent("json.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var checked: Set<String> = []
        for section in text.components(separatedBy: "\n## ").dropFirst() {
            guard let schema = section.range(of: #"schemas/([a-z-]+)\.schema\.json"#, options: .regularExpression).map({ String(section[$0]) }),
                  let start = section.range(of: "```json\n"), let end = section.range(of: "\n```", range: start.upperBound..<section.endIndex)
            else { continue }
            let name = String(schema.dropFirst("schemas/".count).dropLast(".schema.json".count))
            let errors = try JSONSchemaValidator.errors(String(section[start.upperBound..<end.lowerBound]), schema: name)
            #expect(errors.isEmpty, "docs/json.md example for \(name): \(errors)")
            checked.insert(name)
        }
        let schemas = try FileManager.default.contentsOfDirectory(atPath: JSONSchemaValidator.schemas)
            .filter { $0.hasSuffix(".schema.json") }.map { String($0.dropLast(".schema.json".count)) }
        #expect(checked == Set(schemas) && checked.count == 10, "\(checked.sorted()) vs \(schemas.sorted())")
    }

    /// The overview table shows every job at each destination: the newest backups with their
    /// position (`1/2`), verification, retention decision and backup id, and a line for a job
    /// without backups; a job's own `list` is unchanged.
    @Test func overviewTableShowsEveryJob() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        for index in 0..<2 {
            if index > 0 { try? await Task.sleep(for: .seconds(1.1)) }
            try #require(try setup.backupd(["run-now", "app"]).status == 0)
        }
        try #require(try setup.backupd(["verify", "app"]).status == 0)
        let table = try setup.backupd(["list", "--newest", "1"], config: "keep-last-1")
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("JOB") == true && lines.first?.contains("RETENTION") == true)
        #expect(lines.contains { $0.hasPrefix("app ") && $0.contains(" 1/2 ") && $0.contains("passed ") && $0.contains("keep (last)") }, "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("idle ") && $0.contains("no backups yet") }, "\(table.stdout)")
        #expect(lines.count == 3, "\(table.stdout)")
        let all = try setup.backupd(["list"])
        #expect(all.stdout.contains(" 2/2 ") && all.stdout.contains("keep (no policy)"), "\(all.stdout)")
        #expect(try setup.backupd(["list", "--all"]).status != 0)

        // A destination that cannot be listed: its line says why, the others are still shown, exit 1.
        let lost = try setup.backupd(["list"], config: "lost")
        #expect(lost.status == 1)
        #expect(lost.stdout.split(separator: "\n").contains { $0.hasPrefix("idle ") && $0.contains("cannot list: ") }, "\(lost.stdout)")
        #expect(lost.stdout.contains(" 1/2 "), "\(lost.stdout)")
        let json = try #require(try setup.valid(["list", "--json"], schema: "list-overview", status: 1, config: "lost") as? [String: Any])
        #expect(json["complete"] as? Bool == false)
        let idle = try #require((json["jobs"] as? [[String: Any]])?.last)
        #expect(idle["error"] is String && idle["count"] is NSNull)
    }
}
