import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// An age key pair made by age-keygen in a fresh directory.
struct AgeKey {
    let directory: String
    let identity: String
    let recipient: String

    static func make() throws -> AgeKey {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-age-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let identity = directory + "/key.txt"
        _ = try ClientTool(name: "age-keygen").run(["-o", identity], environment: [:])
        let recipient = try ClientTool(name: "age-keygen").run(["-y", identity], environment: [:]).trimmingCharacters(in: .whitespacesAndNewlines)
        return AgeKey(directory: directory, identity: identity, recipient: recipient)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// `seq 1 N` as the shell prints it.
func seqText(_ count: Int) -> String {
    (1...count).map(String.init).joined(separator: "\n") + "\n"
}

@Suite("age encryption through radosgw", .ownThreads)
struct AgeEncryptionTests {
    /// An encrypted backup is stored as `.zst.age` with its encryption in the metadata; the stored
    /// bytes are age ciphertext that reveal nothing; restore with the identity gives the dump back,
    /// as does stock `age -d -i KEY | zstd -d`; without an identity, or with the wrong one, restore fails.
    @Test func roundTrip() async throws {
        let key = try AgeKey.make()
        defer { key.remove() }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "sealed", job: [
            "engine": "command", "connection": ["argv": ["seq", "1", "200000"], "extension": "txt"],
            "encryption": ["ageRecipients": [key.recipient]],
            "compression": ["algorithm": "zstd", "level": 9, "threads": 1],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let objectKey = try #require(outcome.objectKey)
        #expect(objectKey.hasSuffix(".txt.zst.age"))
        let head = try await #require(try destination.store.head(key: objectKey))
        #expect(head.metadata["encryption"] == "age")
        #expect(head.metadata["age-recipients"] == "1")
        #expect(head.metadata["age-fingerprints"] == AgeRecipient.fingerprint(key.recipient))

        var stored: [UInt8] = []
        try await destination.store.download(key: objectKey) { stored.append(contentsOf: $0) }
        #expect(stored.starts(with: Array("age-encryption.org/v1\n".utf8)))
        #expect(!stored.starts(with: [0x28, 0xB5, 0x2F, 0xFD]))
        #expect(String(decoding: stored, as: UTF8.self).range(of: "\n199999\n") == nil)
        // No way back without the key: zstd cannot read it.
        #expect(throws: (any Error).self) {
            let sink = CodecSink(codec: try ZstdCodec(decompressing: ())) { _ in }
            try stored.withUnsafeBytes { try sink.write($0) }
            try sink.finish()
        }

        let ciphertext = key.directory + "/object.age"
        try Data(stored).write(to: URL(fileURLWithPath: ciphertext))
        let stock = try ClientTool(name: "sh").run(["-c", "age -d -i \"$1\" \"$2\" | zstd -dc", "sh", key.identity, ciphertext], environment: [:])
        #expect(stock == seqText(200_000))

        let target = key.directory + "/restored.txt"
        let restorer = Restorer(stores: destination.provider, launcher: PosixProcessLauncher(), environment: Pipeline.defaultEnvironment)
        let result = try await restorer.restore(job: pipeline.job, config: pipeline.config, key: nil, options: RestoreOptions(target: target), identity: key.identity, logger: Logger(label: "it"))
        #expect(result.key == objectKey)
        await #expect(try String(contentsOfFile: target, encoding: .utf8) == seqText(200_000))

        await #expect {
            try await restorer.restore(job: pipeline.job, config: pipeline.config, key: nil, options: RestoreOptions(target: key.directory + "/none.txt"), logger: Logger(label: "it"))
        } throws: { "\($0)".contains("is encrypted with age; pass the identity (private key) file with --identity FILE") }
        let other = try AgeKey.make()
        defer { other.remove() }
        await #expect {
            try await restorer.restore(job: pipeline.job, config: pipeline.config, key: nil, options: RestoreOptions(target: key.directory + "/wrong.txt"), identity: other.identity, logger: Logger(label: "it"))
        } throws: { "\($0)".contains("cannot decrypt") && "\($0)".contains("no identity matched") }
        #expect(!FileManager.default.fileExists(atPath: key.directory + "/wrong.txt"))
    }

    /// With encryption configured and no age on PATH, the backup fails before the dump starts and
    /// the bucket holds nothing: no object, no open upload.
    @Test func missingAgeFailsClosed() async throws {
        let destination = try await TestDestination.make()
        var pipeline = try Pipeline(destination: destination, name: "noage", job: [
            "engine": "command", "connection": ["argv": ["/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done"]],
            "encryption": ["ageRecipients": [testRecipient]],
        ])
        let empty = FileManager.default.temporaryDirectory.path + "/backupd-noage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        pipeline.environment["PATH"] = empty
        let outcome = await pipeline.backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("encryption is configured but the age program is not installed") == true, "\(outcome.error ?? "")")
        await #expect(try destination.isEmpty(prefix: "it/noage"))
    }

    /// An age stage that dies mid-stream (after more than a part of output) fails the backup: the
    /// multipart upload is aborted, nothing is stored and nothing stays open.
    @Test func dyingStageUploadsNothing() async throws {
        let destination = try await TestDestination.make()
        let bin = FileManager.default.temporaryDirectory.path + "/backupd-fakeage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        let fake = bin + "/age"
        try "#!/bin/sh\nhead -c 7000000 /dev/urandom\necho 'age: simulated crash' >&2\nexit 1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        var pipeline = try Pipeline(destination: destination, name: "agedies", job: [
            "engine": "command", "connection": ["argv": ["seq", "1", "3000000"]],
            "encryption": ["ageRecipients": [testRecipient]],
        ])
        pipeline.environment["PATH"] = bin + ":/usr/bin:/bin"
        let outcome = await pipeline.backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("the age encryption stage ended with exit status 1 (age: simulated crash)") == true, "\(outcome.error ?? "")")
        await #expect(try destination.isEmpty(prefix: "it/agedies"))
    }

    /// A dump tool that dies while its output is being encrypted fails the backup with the tool's
    /// reason (not age's), and leaves nothing in the bucket.
    @Test func dyingDumpUnderEncryption() async throws {
        let key = try AgeKey.make()
        defer { key.remove() }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "dumpdies", job: [
            "engine": "command", "connection": ["argv": ["/bin/sh", "-c", "seq 1 3000000; echo 'disk on fire' >&2; exit 4"]],
            "encryption": ["ageRecipients": [key.recipient]],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("exit status 4") == true, "\(outcome.error ?? "")")
        await #expect(try destination.isEmpty(prefix: "it/dumpdies"))
    }
}

/// A well-formed recipient for tests where age never runs.
let testRecipient = "age1ptrgsyq8kyys735x8wk2nlhcl0d3f0ufmduat87gzlpuvnzwt5pq3sdrql"
