import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A recipient printed by age-keygen (public, so fine to embed) and an ssh-keygen ed25519 key.
let testAgeRecipient = "age1ptrgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrql"
let testSSHRecipient = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTWSd1tRUTmoedle4qy2efJoGpb7FeOkXDDQPPgaw+p test@host"

/// Loads `text` as a config (throwing its problems).
private func load(_ text: String, files: FakeFiles = FakeFiles()) throws -> BackupConfig {
    var files = files
    files.files["/etc/backupd/config.json"] = text
    return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
}

@Suite("Config: notify, metrics, encryption, compression settings", .ownThreads)
struct RunExtrasConfigTests {
    /// A top-level notify applies to every job; a job's own notify replaces it whole; URLs may be env secrets.
    @Test func notifyDefaultsAndOverride() throws {
        var files = FakeFiles()
        files.environment["HOOK_URL"] = "https://hooks.example.com/services/T0/B0/sekrit-token"
        let text = configText { root in
            root["notify"] = ["webhooks": [["env": "HOOK_URL"]], "healthchecks": "https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001"]
            var jobs = root["jobs"] as! [[String: Any]]
            var second = jobs[0]
            second["name"] = "other"
            second["notify"] = ["webhooks": ["https://ntfy.sh/backups"], "format": "ntfy"]
            jobs.append(second)
            root["jobs"] = jobs
        }
        let config = try load(text, files: files)
        let first = try #require(config.jobs[0].notify)
        #expect(first.webhooks.map(\.value) == ["https://hooks.example.com/services/T0/B0/sekrit-token"])
        #expect(first.healthchecks?.value == "https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001")
        #expect(first.format == .json)
        let second = try #require(config.jobs[1].notify)
        #expect(second.webhooks.map(\.value) == ["https://ntfy.sh/backups"])
        #expect(second.healthchecks == nil)
        #expect(second.format == .ntfy)
    }

    /// A webhook URL that is not http(s) is an error naming the path, without echoing the value (it may hold a token).
    @Test func badWebhookURLIsNamedButNotShown() {
        let found = problems(configText { $0["notify"] = ["webhooks": ["ftp://example.com/hook-token-123"]] })
        #expect(found.count == 1)
        #expect(found.first?.path == "notify.webhooks[0]")
        #expect(found.first?.message.contains("is not an http(s) URL") == true)
        #expect(!found.description.contains("hook-token-123"))
    }

    /// An unset env reference for a URL is reported at the URL's own path.
    @Test func missingEnvURL() {
        let found = problems(configText { $0["notify"] = ["healthchecks": ["env": "HC_URL"]] })
        #expect(found.map(\.path) == ["notify.healthchecks.env"])
        #expect(found.first?.message.contains("HC_URL is not set") == true)
    }

    /// Unknown keys and formats inside notify are rejected with the valid ones listed.
    @Test func notifyUnknownKeysAndFormats() {
        let found = problems(configText { root in editJob(&root) { $0["notify"] = ["webhook": ["https://x.example"], "format": "slack"] } })
        #expect(found.contains { $0.path == "jobs[\"app-db\"].notify.webhook" && $0.message.contains("did you mean \"webhooks\"") })
        #expect(found.contains { $0.path == "jobs[\"app-db\"].notify.format" && $0.message.contains("json, ntfy") })
    }

    /// metrics: textfile must be an absolute .prom path; listen must be an IP:port; a non-loopback address warns.
    @Test(arguments: [
        (["textfile": "backupd.prom"] as [String: String], "metrics.textfile", "not an absolute path"),
        (["textfile": "/var/lib/node_exporter/backupd.txt"], "metrics.textfile", "does not end in .prom"),
        (["listen": "metrics.example.com:9187"], "metrics.listen", "not an IP address"),
        (["listen": "127.0.0.1:99999"], "metrics.listen", "expected a number from 1 to 65535"),
        (["listen": "127.0.0.1"], "metrics.listen", "is not HOST:PORT"),
    ])
    func metricsErrors(settings: [String: String], path: String, message: String) {
        let found = problems(configText { $0["metrics"] = settings })
        #expect(found.count == 1)
        #expect(found.first?.path == path)
        #expect(found.first?.message.contains(message) == true, "\(found)")
    }

    /// Valid metrics settings load; an all-interfaces listener loads with a warning.
    @Test func metricsValid() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText { $0["metrics"] = ["textfile": "/var/lib/node_exporter/textfile/backupd.prom", "listen": "0.0.0.0:9187"] }
        let (config, warnings) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(config.metrics?.textfile == "/var/lib/node_exporter/textfile/backupd.prom")
        #expect(config.metrics?.listen == BindAddress(host: "0.0.0.0", port: 9187))
        #expect(warnings.contains { $0.path == "metrics.listen" && $0.message.contains("not a loopback address") })
        #expect(BindAddress.parse("[::1]:9187") == .success(BindAddress(host: "::1", port: 9187)))
        #expect(BindAddress.parse("localhost:9187") == .success(BindAddress(host: "127.0.0.1", port: 9187)))
    }

    /// Encryption recipients (age and SSH) load at the top level and per job (the job's replaces the default).
    @Test func encryptionLoads() throws {
        let config = try load(configText { root in
            root["encryption"] = ["ageRecipients": [testAgeRecipient]]
            var jobs = root["jobs"] as! [[String: Any]]
            var second = jobs[0]
            second["name"] = "other"
            second["encryption"] = ["ageRecipients": [testSSHRecipient, testAgeRecipient]]
            jobs.append(second)
            root["jobs"] = jobs
        })
        #expect(config.jobs[0].encryption?.ageRecipients == [testAgeRecipient])
        #expect(config.jobs[1].encryption?.ageRecipients == [testSSHRecipient, testAgeRecipient])
    }

    /// `validate` names each bad recipient by its index and says what is wrong with it.
    @Test(arguments: [
        (String(testAgeRecipient.dropLast()) + "x", "wrong checksum"),
        (String(testAgeRecipient.dropLast(3)), "has 59 characters"),
        ("age1ptrgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrqp", "wrong checksum"),
        ("age1PTRgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrql", "mixes upper- and lower-case"),
        ("age1ptrgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrqo", "not a bech32 character"),
        ("AGE-SECRET-KEY-1QQQQ", "neither an age recipient"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "type age cannot encrypt to"),
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==", "not a ssh-ed25519 key"),
        ("ssh-ed25519 not-base64!", "no valid base64 key"),
        ("", "neither an age recipient"),
    ])
    func badRecipientNamed(recipient: String, reason: String) {
        let found = problems(configText { root in editJob(&root) { $0["encryption"] = ["ageRecipients": [testAgeRecipient, recipient]] } })
        #expect(found.count == 1)
        #expect(found.first?.path == "jobs[\"app-db\"].encryption.ageRecipients[1]")
        #expect(found.first?.message.contains(reason) == true, "\(found)")
    }

    /// An empty recipient list is an error rather than silently unencrypted backups.
    @Test func emptyRecipients() {
        let found = problems(configText { $0["encryption"] = ["ageRecipients": [String]()] })
        #expect(found.map(\.path) == ["encryption.ageRecipients"])
    }

    /// compression accepts the string form and the object form with a level and threads.
    @Test func compressionObject() throws {
        let config = try load(configText { root in editJob(&root) { $0["compression"] = ["algorithm": "zstd", "level": 19, "threads": 2] } })
        #expect(config.jobs[0].compression == .zstd)
        #expect(config.jobs[0].compressionOptions == CompressionOptions(level: 19, threads: 2))
        let gzip = try load(configText { root in editJob(&root) { $0["compression"] = ["algorithm": "gzip", "level": 9] } })
        #expect(gzip.jobs[0].compression == .gzip)
        #expect(gzip.jobs[0].compressionOptions.level == 9)
        let plain = try load(configText { root in editJob(&root) { $0["compression"] = "gzip" } })
        #expect(plain.jobs[0].compression == .gzip && plain.jobs[0].compressionOptions == CompressionOptions())
    }

    /// Levels outside each algorithm's range, threads for gzip, and unknown keys are errors naming the path.
    @Test(arguments: [
        (#"{"algorithm": "zstd", "level": 22}"#, "compression.level", "from 1 to 19"),
        (#"{"algorithm": "gzip", "level": 10}"#, "compression.level", "from 1 to 9"),
        (#"{"algorithm": "gzip", "threads": 2}"#, "compression.threads", "gzip compresses on one thread"),
        (#"{"algorithm": "none", "level": 3}"#, "compression.level", "no meaning without compression"),
        (#"{"algorithm": "lz4"}"#, "compression.algorithm", "expected one of zstd, gzip, none"),
        (#"{"algorithm": "zstd", "workers": 2}"#, "compression.workers", "unknown key"),
    ])
    func compressionErrors(settings: String, path: String, message: String) {
        let object = try! JSONSerialization.jsonObject(with: Data(settings.utf8))
        let found = problems(configText { root in editJob(&root) { $0["compression"] = object } })
        #expect(found.count == 1)
        #expect(found.first?.path == "jobs[\"app-db\"].\(path)")
        #expect(found.first?.message.contains(message) == true, "\(found)")
    }
}
