extension VerifySettings {
    /// Whether `name` can be a restore drill's scratch database: letters, digits and `_`, starting
    /// with a letter, at most 63 characters (safe to quote in SQL). The config checks it on load.
    package static func isValidScratchName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func letter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
