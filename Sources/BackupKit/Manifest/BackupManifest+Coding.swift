import Foundation

extension BackupManifest {
    /// The manifest as pretty, key-sorted JSON with ISO 8601 UTC times.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Reads the manifest stored at `key`: checks its format version first (a newer one is refused
    /// with the version it has), then every field. Throws `ManifestError`.
    public static func parse(_ bytes: [UInt8], key: String) throws(ManifestError) -> BackupManifest {
        struct Header: Decodable { var formatVersion: Int? }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes))
        } catch {
            throw .malformed(key: key, path: "", detail: describe(error))
        }
        guard let version = header.formatVersion else {
            throw .malformed(key: key, path: "formatVersion", detail: "missing; this is not a backupd manifest")
        }
        guard (1...currentFormatVersion).contains(version) else {
            throw .unsupportedVersion(key: key, found: version, supported: currentFormatVersion)
        }
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformed(key: key, path: path(of: error), detail: describe(error))
        } catch {
            throw .malformed(key: key, path: "", detail: "\(error)")
        }
        try manifest.validate(key: key)
        return manifest
    }

    /// Checks what a decoder cannot: a digest is 64 hex digits, sizes are not negative, objects
    /// exist, and every byte of every object is covered by a digest: the whole stream's `sha256`
    /// (each segment's too), or (format 2) parts whose sizes add up to each piece's size.
    func validate(key: String) throws(ManifestError) {
        guard !objects.isEmpty else { throw .malformed(key: key, path: "objects", detail: "is empty; a backup has at least one object") }
        for (index, object) in objects.enumerated() {
            let path = "objects[\(index)]"
            guard object.size >= 0 else { throw .malformed(key: key, path: "\(path).size", detail: "\(object.size) is negative") }
            if let sha256 = object.sha256 {
                guard Self.isDigest(sha256) else {
                    throw .malformed(key: key, path: "\(path).sha256", detail: "\"\(sha256)\" is not a lower-case hex SHA-256 (64 digits)")
                }
                for (number, segment) in (object.segments ?? []).enumerated() where !Self.isDigest(segment.sha256 ?? "") {
                    throw .malformed(key: key, path: "\(path).segments[\(number)].sha256", detail: "\"\(segment.sha256 ?? "null")\" is not a SHA-256")
                }
                continue
            }
            guard formatVersion >= 2 else {
                throw .malformed(key: key, path: "\(path).sha256", detail: "missing; a format 1 manifest records each object's SHA-256")
            }
            guard let composite = object.partsSha256, Self.isDigest(composite) else {
                throw .malformed(
                    key: key, path: "\(path).partsSha256",
                    detail: "\"\(object.partsSha256 ?? "null")\" is not a lower-case hex SHA-256; an object without sha256 needs its parts' digest")
            }
            let segmented = !(object.segments ?? []).isEmpty
            for (number, piece) in object.pieces.enumerated() {
                let piecePath = segmented ? "\(path).segments[\(number)]" : path
                guard let parts = piece.parts, !parts.isEmpty else {
                    throw .malformed(key: key, path: "\(piecePath).parts", detail: "missing or empty; without sha256 every byte needs a part digest")
                }
                for (part, digest) in parts.enumerated() where !Self.isDigest(digest.sha256) || digest.size < 0 {
                    throw .malformed(
                        key: key, path: "\(piecePath).parts[\(part)]",
                        detail: "size \(digest.size), sha256 \"\(digest.sha256)\": expected a size >= 0 and a lower-case hex SHA-256")
                }
                let covered = parts.reduce(Int64(0)) { $0 + $1.size }
                guard covered == piece.size else {
                    throw .malformed(key: key, path: "\(piecePath).parts", detail: "cover \(covered) bytes, but the object has \(piece.size)")
                }
            }
        }
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func path(of error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound(let key, let c):
            return (c.codingPath + [key]).map(component).joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        @unknown default: return ""
        }
        return context.codingPath.map(component).joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func component(_ key: any CodingKey) -> String {
        key.intValue.map { "[\($0)]" } ?? key.stringValue
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(let type, _)?: return "expected \(type)"
        case .valueNotFound(let type, _)?: return "expected \(type), found null"
        case .keyNotFound(let key, _)?: return "missing key \"\(key.stringValue)\""
        case .dataCorrupted(let context)?:
            return context.underlyingError.map { "not valid JSON (\($0.localizedDescription))" } ?? context.debugDescription
        default: return "\(error)"
        }
    }
}
