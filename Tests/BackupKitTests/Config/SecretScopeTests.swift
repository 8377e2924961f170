import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Loading a config for a command resolves only the secrets that command uses.
@Suite(.ownThreads)
struct SecretScopeTests {
    /// Two destinations and two jobs; job "app-db" writes to "local" with an env password, job
    /// "other" writes to "remote"; every secret is an environment variable.
    func text() -> String {
        configText { root in
            root["destinations"] = [
                ["name": "local", "endpoint": "http://127.0.0.1:9000", "region": "us-east-1", "bucket": "backups",
                 "accessKeyId": ["env": "LOCAL_KEY"], "secretAccessKey": ["env": "LOCAL_SECRET"]],
                ["name": "remote", "endpoint": "http://127.0.0.1:9001", "region": "us-east-1", "bucket": "backups",
                 "accessKeyId": ["env": "REMOTE_KEY"], "secretAccessKey": ["file": "/run/secrets/remote"]],
            ]
            root["jobs"] = [
                ["name": "app-db", "engine": "postgres", "schedule": "30 2 * * *", "destination": "local",
                 "connection": ["host": "127.0.0.1", "username": "u", "password": ["env": "APP_PW"], "database": "app"]],
                ["name": "other", "engine": "command", "schedule": "30 2 * * *", "destination": "remote",
                 "connection": ["argv": ["cat"], "environment": ["TOKEN": ["env": "OTHER_TOKEN"]]]],
            ]
        }
    }

    /// The env variables reported missing when loading with `scope` and no environment at all.
    func missing(_ scope: SecretScope) -> [String] {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text()
        do {
            _ = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources, secrets: scope)
            return []
        } catch {
            return error.problems.filter { $0.severity == .error }.map(\.path)
        }
    }

    /// Every scope reports exactly the secrets it uses; `.all` (validate, run) reports every one.
    @Test(arguments: [
        (SecretScope.all, [
            "destinations[\"local\"].accessKeyId.env", "destinations[\"local\"].secretAccessKey.env",
            "destinations[\"remote\"].accessKeyId.env", "destinations[\"remote\"].secretAccessKey.file",
            "jobs[\"app-db\"].connection.password.env", "jobs[\"other\"].connection.environment.TOKEN.env",
        ]),
        (SecretScope.none, []),
        (SecretScope.job("app-db"), [
            "destinations[\"local\"].accessKeyId.env", "destinations[\"local\"].secretAccessKey.env",
            "jobs[\"app-db\"].connection.password.env",
        ]),
        (SecretScope.destinationOf(job: "other"), [
            "destinations[\"remote\"].accessKeyId.env", "destinations[\"remote\"].secretAccessKey.file",
        ]),
        (SecretScope.destination("local"), [
            "destinations[\"local\"].accessKeyId.env", "destinations[\"local\"].secretAccessKey.env",
        ]),
        (SecretScope.destinations, [
            "destinations[\"local\"].accessKeyId.env", "destinations[\"local\"].secretAccessKey.env",
            "destinations[\"remote\"].accessKeyId.env", "destinations[\"remote\"].secretAccessKey.file",
        ]),
    ])
    func scopeReportsOnlyWhatItUses(scope: SecretScope, expected: [String]) {
        #expect(missing(scope) == expected)
    }

    /// Outside the scope a secret keeps its reference without a value; inside it has one.
    @Test func unresolvedSecretsKeepTheirReference() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text()
        files.environment = ["APP_PW": "pw-Value", "LOCAL_KEY": "AKID", "LOCAL_SECRET": "s3cr3t"]
        let (config, _) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources, secrets: .job("app-db"))
        let local = try #require(config.destination(named: "local"))
        #expect(local.secretAccessKey.isResolved)
        #expect(local.secretAccessKey.value == "s3cr3t")
        #expect(local.secretAccessKey.source == .environment("LOCAL_SECRET"))
        let remote = try #require(config.destination(named: "remote"))
        #expect(!remote.secretAccessKey.isResolved)
        #expect(remote.secretAccessKey.source == .file("/run/secrets/remote"))
        #expect("\(remote.secretAccessKey)" == "<redacted>")
        guard case .sql(let sql) = config.job(named: "app-db")?.connection else {
            Issue.record("expected a sql connection")
            return
        }
        #expect(sql.password?.value == "pw-Value")
    }

    /// The form of a secret is checked in every scope: a relative file path is an error even with `.none`.
    @Test func formIsCheckedWithoutResolving() {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText { editDestination(&$0) { $0["secretAccessKey"] = ["file": "relative"] } }
        #expect(throws: ConfigError.self) {
            try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources, secrets: .none)
        }
    }
}
