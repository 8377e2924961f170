/// Why a time zone could not be loaded, with what to use instead.
public struct ZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The identifier as given.
    public let identifier: String
    /// What is wrong and what would work, e.g. `unknown time zone "Europe/Berln"; did you mean …`.
    public let reason: String

    /// Creates an error for `identifier`.
    public init(identifier: String, reason: String) {
        self.identifier = identifier
        self.reason = reason
    }

    /// The reason, which already names the identifier.
    public var description: String { reason }
}
