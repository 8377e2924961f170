import BackupCore

/// The messages for config, secret and CA files that cannot be used.
extension ConfigLoader {
    /// Why the config file itself cannot be read.
    static func configFileProblem(_ error: any Error) -> String {
        switch error as? FileReadError {
        case let read? where read.isNotRegular:
            return "the config file \(read.path) \(read.reason); give the path of a JSON config file"
        case let read? where read.isTooLarge:
            return "the config file \(read.path) \(read.reason), far more than any backupd config; is --config the right file?"
        default:
            return "cannot read the config file: \(describeFileError(error))"
        }
    }

    /// Why a `{"file": PATH}` secret cannot be read.
    static func secretFileProblem(_ error: any Error, path: String) -> String {
        switch error as? FileReadError {
        case let read? where read.isNotRegular:
            return "secret file \(path) \(read.reason); point \"file\" at a regular file that holds only the secret"
        case let read? where read.isTooLarge:
            return "secret file \(path) \(read.reason); a secret file holds only the secret"
        default:
            return "cannot read secret file \(path): \(describeFileError(error))"
        }
    }

    /// Why a `caFile` cannot be used.
    static func caFileProblem(_ error: FileReadError) -> String {
        let hint = "give a readable PEM file of certificate authorities"
        if error.isNotRegular || error.isTooLarge {
            return "\(ConfigReader.quote(error.path)) \(error.reason); \(hint)"
        }
        return "cannot read \(ConfigReader.quote(error.path)): \(error.reason); \(hint)"
    }
}
