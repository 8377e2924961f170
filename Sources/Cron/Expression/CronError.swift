/// Why a cron expression is invalid: where, which token, and what would be valid.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression as given.
    public let expression: String
    /// 0-based character offset of the offending token in `expression`.
    public let position: Int
    /// The offending token ("" when the expression as a whole is wrong, e.g. a missing field).
    public let token: String
    /// What is wrong and what would be valid, e.g. `minute field: 61 is out of range 0-59`.
    public let reason: String

    /// Creates an error; `position` counts characters from 0.
    public init(expression: String, position: Int, token: String, reason: String) {
        self.expression = expression
        self.position = position
        self.token = token
        self.reason = reason
    }

    /// The reason alone; callers add the expression, position and token in their own framing.
    public var description: String { reason }
}
