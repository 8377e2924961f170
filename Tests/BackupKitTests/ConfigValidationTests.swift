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
struct ConfigValidationTests {
    /// A complete, valid config loads with its defaults applied.
    @Test func validConfigLoadsWithDefaults() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText()
        let (config, warnings) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(warnings.isEmpty)
        #expect(config.stateDirectory == "/var/lib/backupd")
        #expect(config.maxConcurrentJobs == 2)
        #expect(config.timeZone.identifier == "Europe/Berlin")
        let job = try #require(config.jobs.first)
        #expect(job.compression == .zstd)
        #expect(job.enabled)
        #expect(job.catchUp == .once)
        #expect(job.timeout == .seconds(86_400))
        guard case .sql(let sql) = job.connection else { Issue.record("expected sql"); return }
        #expect(sql.port == 5432)
        #expect(sql.password?.value == "pg-Pa55word")
        let destination = try #require(config.destinations.first)
        #expect(destination.pathStyle)
        #expect(destination.maxParts == 10_000)
    }

    /// The example config in the repository validates when its environment secrets are set.
    @Test func exampleConfigIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config.example.json")
        var files = FakeFiles()
        files.files["/example.json"] = try String(contentsOf: url, encoding: .utf8)
        for name in ["SPACES_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "APP_PG_PASSWORD",
                     "SHOP_DB_PASSWORD", "EVENTS_MONGO_PASSWORD", "REDIS_PASSWORD"] {
            files.environment[name] = "x-\(name)"
        }
        let (config, _) = try BackupConfig.load(path: "/example.json", sources: files.sources)
        #expect(config.destinations.count == 2)
        #expect(Set(config.jobs.map(\.engine)) == Set(Engine.allCases))
        #expect(config.destination(named: "aws-archive")?.pathStyle == false)
        #expect(config.job(named: "events-mongodb")?.timeZone.identifier == "America/New_York")
    }

    /// Malformed JSON is reported with its line and column.
    @Test(arguments: [
        ("{\n  \"jobs\": [\n    {\"name\": \"a\",}\n  ]\n}", 3, 18, "trailing comma"),
        ("{\n  \"jobs\": []\n  \"destinations\": []\n}", 3, 3, "expected ',' or '}'"),
        ("{\"jobs\": [], // note\n}", 1, 14, "comments"),
        ("{\"jobs\": ['a']}", 1, 11, "double quotes"),
        ("", 1, 1, "empty"),
        ("{\"a\": tru}", 1, 7, "did you mean true"),
        ("{\"a\": \"unterminated}", 1, 7, "unterminated string"),
    ])
    func malformedJSON(text: String, line: Int, column: Int, fragment: String) throws {
        let found = problems(text)
        let problem = try #require(found.first)
        #expect(found.count == 1)
        #expect(problem.position == SourcePosition(line: line, column: column))
        #expect(problem.message.contains("malformed JSON"))
        #expect(problem.message.contains(fragment), "\(problem.message)")
        #expect(problem.description.hasPrefix("/etc/backupd/config.json:\(line):\(column): error: "))
    }

    /// Each kind of invalid value is reported at its JSON path, quoting the value and what is valid.
    @Test(arguments: [
        // wrong types
        (configText { $0["maxConcurrentJobs"] = "2" }, "maxConcurrentJobs", "expected a whole number from 1 to 64, found a string \"2\""),
        (configText { $0["jobs"] = ["x": 1] }, "jobs", "expected an array, found an object"),
        (configText { editJob(&$0) { $0["enabled"] = "yes" } }, "jobs[\"app-db\"].enabled", "expected true or false, found a string \"yes\""),
        (configText { editJob(&$0) { $0["connection"] = ["host": "h", "username": "u", "database": "d", "port": 70000] } }, "jobs[\"app-db\"].connection.port", "70000 is not valid; expected a whole number from 1 to 65535"),
        // missing required keys
        (configText { editJob(&$0) { $0["schedule"] = nil } }, "jobs[\"app-db\"].schedule", "missing required key \"schedule\""),
        (configText { editDestination(&$0) { $0["bucket"] = nil } }, "destinations[\"local\"].bucket", "missing required key \"bucket\""),
        (configText { $0["destinations"] = nil }, "destinations", "missing required key \"destinations\""),
        (configText { editJob(&$0) { $0["connection"] = ["host": "h", "username": "u"] } }, "jobs[\"app-db\"].connection.database", "missing required key \"database\""),
        // unknown keys, with suggestions
        (configText { editJob(&$0) { $0["shedule"] = "0 * * * *"; $0["schedule"] = nil } }, "jobs[\"app-db\"].shedule", "unknown key \"shedule\" (did you mean \"schedule\"?)"),
        (configText { $0["timezone"] = "UTC" }, "timezone", "unknown key \"timezone\" (did you mean \"timeZone\"?)"),
        (configText { editDestination(&$0) { $0["acessKeyId"] = "x" } }, "destinations[\"local\"].acessKeyId", "did you mean \"accessKeyId\"?"),
        (configText { editJob(&$0) { $0["connection"] = ["host": "h", "username": "u", "database": "d", "uri": "x"] } }, "jobs[\"app-db\"].connection.uri", "unknown key \"uri\""),
        // names
        (configText { editJob(&$0) { $0["destination"] = "lokal" } }, "jobs[\"app-db\"].destination", "no destination is named \"lokal\" (did you mean \"local\"?)"),
        (configText { editJob(&$0) { $0["engine"] = "postgresql" } }, "jobs[\"app-db\"].engine", "\"postgresql\" is not valid; expected one of postgres, mysql, mongodb, redis, command (did you mean \"postgres\"?)"),
        (configText { editJob(&$0) { $0["name"] = "app db" } }, "jobs[\"app db\"].name", "\"app db\" is not a valid job name"),
        // schedules, zones, durations, endpoints
        (configText { editJob(&$0) { $0["schedule"] = "61 * * * *" } }, "jobs[\"app-db\"].schedule", "\"61 * * * *\" is not a valid cron expression"),
        (configText { editJob(&$0) { $0["schedule"] = "0 3 * * MON-FRY" } }, "jobs[\"app-db\"].schedule", "position"),
        (configText { $0["timeZone"] = "Europe/Berln" }, "timeZone", "\"Europe/Berln\" is not a known time zone"),
        (configText { editJob(&$0) { $0["timeZone"] = "Mars/Olympus" } }, "jobs[\"app-db\"].timeZone", "\"Mars/Olympus\" is not a known time zone"),
        (configText { editJob(&$0) { $0["timeout"] = "90 minutes" } }, "jobs[\"app-db\"].timeout", "\"90 minutes\" is not a duration; use a whole number followed by s, m, h or d"),
        (configText { editJob(&$0) { $0["timeout"] = 90 } }, "jobs[\"app-db\"].timeout", "90 is not a duration"),
        (configText { editDestination(&$0) { $0["endpoint"] = "http://s3.example.com" } }, "destinations[\"local\"].endpoint", "uses plain http"),
        (configText { editDestination(&$0) { $0["endpoint"] = "s3.example.com" } }, "destinations[\"local\"].endpoint", "has no scheme; write it as \"https://s3.example.com\""),
        (configText { editDestination(&$0) { $0["endpoint"] = "ftp://s3.example.com" } }, "destinations[\"local\"].endpoint", "scheme \"ftp\""),
        (configText { editDestination(&$0) { $0["endpoint"] = "https://s3.example.com/my-bucket" } }, "destinations[\"local\"].endpoint", "no path, query or fragment"),
        (configText { editDestination(&$0) { $0["bucket"] = "My_Bucket"; $0["pathStyle"] = false } }, "destinations[\"local\"].bucket", "upper-case letters are not allowed"),
        (configText { editJob(&$0) { $0["prefix"] = "/backups" } }, "jobs[\"app-db\"].prefix", "must not start with '/'"),
        (configText { editJob(&$0) { $0["prefix"] = "../x" } }, "jobs[\"app-db\"].prefix", "\"../x\" must not contain a \"..\" segment"),
        (configText { editJob(&$0) { $0["prefix"] = "a/./b" } }, "jobs[\"app-db\"].prefix", "must not contain a \".\" segment"),
        (configText { editJob(&$0) { $0["prefix"] = "a//b" } }, "jobs[\"app-db\"].prefix", "must not contain an empty segment"),
        (configText { editJob(&$0) { $0["prefix"] = "backups/" } }, "jobs[\"app-db\"].prefix", "must not end with '/'"),
        (configText { editJob(&$0) { $0["compression"] = "lz4" } }, "jobs[\"app-db\"].compression", "\"lz4\" is not valid; expected one of zstd, gzip, none"),
        (configText { editJob(&$0) { $0["retention"] = ["keepLast": 0] } }, "jobs[\"app-db\"].retention.keepLast", "0 is not valid; expected a whole number from 1 to 100000"),
        (configText { editJob(&$0) { $0["retention"] = [String: Any]() } }, "jobs[\"app-db\"].retention", "an empty retention policy"),
        (configText { editJob(&$0) { $0["catchUp"] = "all" } }, "jobs[\"app-db\"].catchUp", "expected one of once, none"),
        (configText { editJob(&$0) { $0["engine"] = "mongodb"; $0["connection"] = ["uri": "mongodb://u:hunter2@db/x"] } }, "jobs[\"app-db\"].connection.uri", "the URI contains a password"),
        (configText { editJob(&$0) { $0["engine"] = "command"; $0["connection"] = ["argv": [String]()] } }, "jobs[\"app-db\"].connection.argv", "must name a program"),
    ] as [(String, String, String)])
    func invalidValue(text: String, path: String, fragment: String) throws {
        let found = problems(text).filter { $0.severity == .error }
        let problem = try #require(found.first { $0.path == path }, "no problem at \(path) in \(found.map(\.description))")
        #expect(problem.message.contains(fragment), "\(problem.message)")
        #expect(problem.position != nil)
    }

    /// Duplicate names of jobs and destinations are errors, naming the first occurrence.
    @Test func duplicateNames() {
        let text = configText {
            $0["destinations"] = ($0["destinations"] as! [[String: Any]]) + ($0["destinations"] as! [[String: Any]])
            $0["jobs"] = ($0["jobs"] as! [[String: Any]]) + ($0["jobs"] as! [[String: Any]])
        }
        let messages = problems(text).map(\.description)
        #expect(messages.contains { $0.contains("destinations[\"local\"]: duplicate destination name \"local\" (also destinations[0])") }, "\(messages)")
        #expect(messages.contains { $0.contains("jobs[\"app-db\"]: duplicate job name \"app-db\" (also jobs[0])") }, "\(messages)")
    }

    /// A key written twice in one object is an error, not a silent last-one-wins.
    @Test func duplicateJSONKey() {
        let text = "{\"destinations\": [], \"jobs\": [], \"timeZone\": \"UTC\", \"timeZone\": \"Europe/Berlin\"}"
        let found = problems(text)
        #expect(found.contains { $0.message.contains("duplicate key \"timeZone\" (first at line 1, column 34)") }, "\(found)")
    }

    /// Every problem in a file is reported at once, in file order.
    @Test func reportsAllProblems() {
        let text = configText {
            $0["maxConcurrentJobs"] = 0
            editJob(&$0) {
                $0["schedule"] = "* * * *"
                $0["destination"] = "nowhere"
                $0["timeout"] = "soon"
            }
            editDestination(&$0) { $0["region"] = nil }
        }
        let found = problems(text)
        #expect(found.count == 5, "\(found.map(\.description))")
        let positions = found.compactMap(\.position)
        #expect(positions == positions.sorted())
    }

    /// Secrets from the environment and from files resolve; unset, empty and unreadable ones are errors.
    @Test func secretReferences() throws {
        var files = FakeFiles()
        files.environment["PG_PASS"] = "from-env"
        files.environment["EMPTY"] = ""
        files.files["/run/secrets/s3"] = "from-file\n"
        let good = configText {
            editJob(&$0) { $0["connection"] = ["host": "h", "username": "u", "database": "d", "password": ["env": "PG_PASS"]] }
            editDestination(&$0) { $0["secretAccessKey"] = ["file": "/run/secrets/s3"] }
        }
        files.files["/etc/backupd/config.json"] = good
        let (config, _) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(config.destinations[0].secretAccessKey.value == "from-file")
        guard case .sql(let sql) = config.jobs[0].connection else { Issue.record("expected sql"); return }
        #expect(sql.password?.value == "from-env")

        let cases: [([String: Any], String, String)] = [
            (["env": "NOT_SET_ANYWHERE"], ".env", "environment variable NOT_SET_ANYWHERE is not set"),
            (["env": "EMPTY"], ".env", "environment variable EMPTY is empty"),
            (["file": "/run/secrets/missing"], ".file", "cannot read secret file /run/secrets/missing: No such file or directory"),
            (["file": "relative/path"], ".file", "is not an absolute path"),
            (["env": "A", "file": "/b"], "", "exactly one key"),
            (["vault": "x"], "", "exactly one key, \"env\" or \"file\""),
        ]
        for (reference, suffix, fragment) in cases {
            let text = configText { editDestination(&$0) { $0["secretAccessKey"] = reference } }
            let found = problems(text, files: files)
            #expect(found.contains { $0.path == "destinations[\"local\"].secretAccessKey" + suffix && $0.message.contains(fragment) }, "\(found.map(\.description))")
        }
    }

    /// A readable absolute `caFile` loads; a relative, missing or unreadable one is an error naming the path.
    @Test func caFileIsChecked() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/ca.pem"] = "-----BEGIN CERTIFICATE-----\n"
        files.files["/etc/backupd/config.json"] = configText { editDestination(&$0) { $0["caFile"] = "/etc/backupd/ca.pem" } }
        let (config, _) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(config.destinations[0].caFile == "/etc/backupd/ca.pem")

        let cases: [(String, String)] = [
            ("/etc/backupd/missing-ca.pem", "cannot read \"/etc/backupd/missing-ca.pem\": Permission denied; give a readable PEM file of certificate authorities"),
            ("ca.pem", "\"ca.pem\" is not an absolute path to a PEM file"),
        ]
        for (path, fragment) in cases {
            let found = problems(configText { editDestination(&$0) { $0["caFile"] = path } }, files: files).filter { $0.severity == .error }
            let problem = try #require(found.first { $0.path == "destinations[\"local\"].caFile" }, "\(found.map(\.description))")
            #expect(problem.message.contains(fragment), "\(problem.message)")
            #expect(problem.position != nil)
        }
    }

    /// No message ever contains a secret's value, whatever else is wrong.
    @Test func secretsNeverAppearInMessages() {
        let text = configText {
            editDestination(&$0) { $0["endpoint"] = "https://AKID:s3cr3t-Literal-Value@s3.example.com"; $0["secretAccessKey"] = ["s3cr3t-Literal-Value"] }
            editJob(&$0) {
                $0["engine"] = "mongodb"
                $0["connection"] = ["uri": "mongodb://u:pg-Pa55word@h/db", "password": 12345]
            }
        }
        let found = problems(text)
        #expect(found.count >= 3)
        for problem in found {
            #expect(!problem.description.contains("s3cr3t-Literal-Value"))
            #expect(!problem.description.contains("pg-Pa55word"))
            #expect(!problem.description.contains("12345"))
        }
    }

    /// A literal secret in a world-readable config earns a warning but still loads.
    @Test func literalSecretInWorldReadableFileWarns() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText()
        files.modes["/etc/backupd/config.json"] = 0o644
        let (_, warnings) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(warnings.map(\.path).sorted() == ["destinations[\"local\"].secretAccessKey", "jobs[\"app-db\"].connection.password"])
        #expect(warnings.allSatisfy { $0.severity == .warning && $0.message.contains("chmod 640") })
    }

    /// http is accepted for loopback endpoints and with the explicit opt-in, and path style defaults by host.
    @Test(arguments: [
        ("http://localhost:9000", false, true),
        ("http://127.0.0.5:9000", false, true),
        ("http://[::1]:9000", false, true),
        ("http://minio.internal:9000", true, true),
        ("https://s3.eu-central-1.amazonaws.com", false, false),
        ("https://fra1.digitaloceanspaces.com", false, true),
    ])
    func endpointsAccepted(endpoint: String, insecure: Bool, pathStyle: Bool) throws {
        var files = FakeFiles()
        files.files["/c.json"] = configText { editDestination(&$0) { $0["endpoint"] = endpoint; $0["allowInsecureHTTP"] = insecure } }
        let (config, _) = try BackupConfig.load(path: "/c.json", sources: files.sources)
        #expect(config.destinations[0].pathStyle == pathStyle)
    }

    /// A missing config file is a clear error naming the path.
    @Test func missingFile() {
        do {
            _ = try BackupConfig.load(path: "/nonexistent/backupd.json", sources: FakeFiles().sources)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("/nonexistent/backupd.json: error: cannot read the config file: No such file or directory"), "\(error)")
        }
    }

    /// Durations parse in every unit and combination; nonsense and zero do not.
    @Test(arguments: [("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("45s", 45), ("1d", 86_400)] as [(String, Int64)])
    func durations(text: String, seconds: Int64) {
        #expect(DurationText.parse(text) == .seconds(seconds))
        #expect(DurationText.parse(DurationText.format(.seconds(seconds))) == .seconds(seconds))
    }

    /// Strings that are not durations are rejected.
    @Test(arguments: ["", "90", "m", "0m", "-5m", "1.5h", "5 m", "1w", "99999999999h"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
