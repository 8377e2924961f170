/// The format check of a `pg_basebackup --format=tar --pgdata=-` stream: a well-formed tar (every
/// header's checksum, the end-of-archive blocks) holding `global/pg_control`, a `backup_label`
/// and a `backup_manifest` with the WAL range; no `tablespace_map` (extra tablespaces are not
/// supported). Keeps the label and the manifest's last 8 KiB, so memory stays bounded.
final class BaseBackupInspector {
    static let labelLimit = 64 * 1024
    static let manifestWindow = 8 * 1024

    private var scanner: TarStreamScanner!
    private var current: String?
    private var label: [UInt8] = []
    private var manifestTail: [UInt8] = []
    private var members: Set<String> = []
    private var tablespaceMap = false
    /// The backup's start and stop, once `finish` found them.
    private(set) var info: BaseBackupInfo?

    init() {
        scanner = TarStreamScanner { [unowned self] event in self.take(event) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        // The visitor never throws; a format problem is kept by the scanner for `finish`.
        try? scanner.write(bytes)
    }

    private func take(_ event: TarStreamScanner.Event) {
        switch event {
        case .header(let header):
            current = header.name
            members.insert(header.name)
            if header.name == "tablespace_map", header.size > 0 { tablespaceMap = true }
        case .content(let bytes):
            if current == "backup_label", label.count < Self.labelLimit { label += bytes.prefix(Self.labelLimit - label.count) }
            if current == "backup_manifest" {
                manifestTail += bytes
                if manifestTail.count > Self.manifestWindow * 2 { manifestTail.removeFirst(manifestTail.count - Self.manifestWindow) }
            }
        case .memberEnd:
            current = nil
        }
    }

    /// What is wrong with the stream, or nil when it is a complete base backup (`info` then set).
    func finish(tool: String) -> String? {
        if let problem = scanner.finish() { return "\(tool) exited 0 but its output is not a complete tar archive: \(problem)" }
        if tablespaceMap {
            return "the cluster has tablespaces outside its data directory, which backupd's base backups do not support (one tar stream holds only the main data directory); move them into pg_default or back this cluster up another way"
        }
        for required in ["global/pg_control", "backup_label", "backup_manifest"] where !members.contains(required) {
            return "\(tool) exited 0 but its tar archive has no \(required): it is not a base backup"
        }
        switch BaseBackupInfo.parse(label: String(decoding: label, as: UTF8.self), manifestTail: String(decoding: manifestTail.suffix(Self.manifestWindow), as: UTF8.self)) {
        case .success(let parsed):
            info = parsed
            return nil
        case .failure(let error):
            return "\(tool) exited 0 but \(error.detail)"
        }
    }
}
