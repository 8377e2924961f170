import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Provider detection, profiles and the config keys `provider`, `retryFor` and `expectedSize`.
@Suite(.ownThreads) struct ProviderProfileTests {
    /// Endpoint hosts map to their provider; unknown and self-hosted hosts are generic.
    @Test(arguments: [
        ("s3.eu-central-1.amazonaws.com", StorageProvider.aws), ("abc123.r2.cloudflarestorage.com", .r2),
        ("s3.eu-central-003.backblazeb2.com", .b2), ("fra1.digitaloceanspaces.com", .spaces), ("s3.fr-par.scw.cloud", .scaleway),
        ("s3.eu-central-2.wasabisys.com", .wasabi), ("storage.googleapis.com", .gcs), ("fsn1.your-objectstorage.com", .hetzner),
        ("s3.gra.io.cloud.ovh.net", .ovh), ("s3.eu-central-1.s4.mega.io", .mega), ("minio.internal", .generic),
        ("notamazonaws.com", .generic),
    ])
    func detectsProviderFromHost(host: String, expected: StorageProvider) {
        #expect(StorageProvider.detect(host: host) == expected)
    }

    /// The documented quirks: Scaleway's 1,000 parts, R2's equal parts and `auto` region, GCS's
    /// single deletes, Wasabi's 90 days.
    @Test func profilesCarryTheQuirks() {
        #expect(StorageProvider.scaleway.profile.maxParts == 1000)
        #expect(StorageProvider.r2.profile.equalParts && StorageProvider.r2.profile.requiredRegion == "auto")
        #expect(StorageProvider.mega.profile.equalParts)
        #expect(!StorageProvider.gcs.profile.multiObjectDelete)
        #expect(StorageProvider.wasabi.profile.minimumStorageDays == 90)
        #expect(StorageProvider.aws.profile == ProviderProfile())
        #expect(!StorageProvider.aws.profile.equalParts && StorageProvider.aws.profile.maxParts == 10_000)
    }

    /// Loads `edit`ed config text or returns its problems.
    func load(_ edit: @escaping (inout [String: Any]) -> Void) throws -> BackupConfig {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText(edit)
        return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
    }

    /// The provider is detected from the endpoint, its part limit applies, and the retry budget defaults to 5 minutes.
    @Test func detectedProviderSetsLimits() throws {
        let config = try load { root in editDestination(&root) { $0["endpoint"] = "https://s3.fr-par.scw.cloud"; $0["region"] = "fr-par" } }
        let destination = try #require(config.destinations.first)
        #expect(destination.provider == .scaleway)
        #expect(destination.maxParts == 1000)
        #expect(destination.retryFor == .seconds(300))
        #expect(destination.providerSummary.contains("provider scaleway: max 1000 parts"))
        #expect(ConfigSummary.render(config, path: "c.json", now: Date(timeIntervalSince1970: 1_767_225_600)).contains("provider scaleway"))
    }

    /// An explicit `maxParts` and `provider` win over detection; `retryFor` and `expectedSize` are read.
    @Test func explicitKeysWin() throws {
        let config = try load { root in
            editDestination(&root) {
                $0["endpoint"] = "https://s3.fr-par.scw.cloud"
                $0["provider"] = "ceph"
                $0["maxParts"] = 500
                $0["retryFor"] = "90s"
            }
            editJob(&root) { $0["expectedSize"] = "40GiB" }
        }
        let destination = try #require(config.destinations.first)
        #expect(destination.provider == .ceph)
        #expect(destination.maxParts == 500)
        #expect(destination.retryFor == .seconds(90))
        #expect(config.jobs.first?.expectedSize == 40 << 30)
        #expect(S3Settings(destination: destination).retry.budget == 90)
    }

    /// R2 signs with region `auto`; another region is refused with the fix named.
    @Test func r2RegionRule() throws {
        let config = try load { root in editDestination(&root) { $0["endpoint"] = "https://acct.r2.cloudflarestorage.com"; $0["region"] = "auto" } }
        #expect(S3Settings(destination: config.destinations[0]).region == "auto")
        let found = problems(configText { root in editDestination(&root) { $0["endpoint"] = "https://acct.r2.cloudflarestorage.com"; $0["region"] = "eu-west-1" } })
        #expect(found.contains { $0.path == "destinations[\"local\"].region" && $0.message.contains("set \"region\": \"auto\"") })
    }

    /// Bad values name the key, the value and what is valid.
    @Test(arguments: [
        ("provider", "amazon", "expected one of aws, r2"),
        ("retryFor", "25h", "from \"1s\" to \"24h\""),
        ("retryFor", "soon", "is not a duration"),
    ])
    func badDestinationValues(key: String, value: String, message: String) {
        let found = problems(configText { root in editDestination(&root) { $0[key] = value } })
        #expect(found.contains { $0.path == "destinations[\"local\"].\(key)" && $0.message.contains(message) }, "\(found)")
    }

    /// An unreadable `expectedSize` is refused with examples.
    @Test func badExpectedSize() {
        let found = problems(configText { root in editJob(&root) { $0["expectedSize"] = "big" } })
        #expect(found.contains { $0.path == "jobs[\"app-db\"].expectedSize" && $0.message.contains("\"40GiB\"") }, "\(found)")
    }

    /// Sizes parse in decimal and binary units.
    @Test(arguments: [("123", Int64(123)), ("5MB", 5_000_000), ("1.5GiB", 1_610_612_736), ("2 TiB", 2 << 40)])
    func sizesParse(text: String, bytes: Int64) {
        #expect(ConfigLoader.parseSize(text) == bytes)
    }
}
