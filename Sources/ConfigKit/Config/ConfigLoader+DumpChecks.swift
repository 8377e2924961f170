/// Reading a job's dump checks: `allowEmpty` (command jobs) and `suspiciousBelow`.
extension ConfigLoader {
    /// `allowEmpty`: true lets a `command` job's output be empty; no other engine may set it,
    /// because their dumps are checked by format (an empty one never passes).
    func readAllowEmpty(_ object: ObjectReader, engine: Engine?) -> Bool {
        guard let value = object.raw("allowEmpty") else { return false }
        guard let allow = object.bool("allowEmpty") else { return false }
        if allow, let engine, engine != .command {
            reader.error(
                value, object.childPath("allowEmpty"),
                "only a \"command\" job may allow an empty dump; a \(engine.rawValue) dump is checked for its format (\(Self.formatName(engine))) and is never empty; remove the key")
            return false
        }
        return allow
    }

    /// `suspiciousBelow`: a fraction strictly between 0 and 1 (default 0.1), or false to turn the
    /// suspicious-shrinkage check off.
    func readSuspiciousBelow(_ object: ObjectReader) -> Double? {
        guard let value = object.raw("suspiciousBelow") else { return JobConfig.defaultSuspiciousBelow }
        let hint = "expected a fraction of the recent median between 0 and 1 (exclusive) such as 0.1, or false to turn the check off"
        switch value.kind {
        case .bool(false):
            return nil
        case .number(let text):
            guard let fraction = Double(text), fraction > 0, fraction < 1 else {
                reader.error(value, object.childPath("suspiciousBelow"), "\(text) is not valid; \(hint)")
                return JobConfig.defaultSuspiciousBelow
            }
            return fraction
        default:
            reader.error(value, object.childPath("suspiciousBelow"), "\(hint), found \(value.typeDescription) \(ConfigReader.render(value))")
            return JobConfig.defaultSuspiciousBelow
        }
    }

    private static func formatName(_ engine: Engine) -> String {
        switch engine {
        case .postgres: return "PGDMP header"
        case .mysql: return "\"-- Dump completed\" trailer"
        case .redis: return "RDB magic and checksum"
        case .mongodb: return "archive magic"
        case .command: return "non-empty"
        }
    }
}
