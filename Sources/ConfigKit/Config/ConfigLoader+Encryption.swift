/// Reads `"encryption": {"ageRecipients": ["age1...", "ssh-ed25519 ..."]}`.
extension ConfigLoader {
    func readEncryption(_ value: JSONValue, path: String) -> EncryptionConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "encryption settings") else { return nil }
        let recipients = object.stringArray("ageRecipients", required: "the age recipients to encrypt to, e.g. [\"age1...\"] (age-keygen prints one)")
        object.finish()
        guard let recipients else { return nil }
        if recipients.isEmpty {
            reader.error(object.raw("ageRecipients"), object.childPath("ageRecipients"), "is empty; give at least one recipient, or remove \"encryption\"")
            return nil
        }
        var valid = true
        if case .array(let items) = object.raw("ageRecipients")?.kind {
            for (index, recipient) in recipients.enumerated() {
                if let problem = AgeRecipient.problem(recipient) {
                    reader.error(items[index], "\(object.childPath("ageRecipients"))[\(index)]", "\(ConfigReader.quote(recipient)) \(problem)")
                    valid = false
                }
            }
        }
        return valid ? EncryptionConfig(ageRecipients: recipients) : nil
    }
}
