/// What a `runOn: "any"` backup's manifest records of the claim it was written under.
public struct ManifestClaim: Sendable, Hashable, Codable {
    /// The host that held the slot (its `hostId`).
    public var hostId: String
    /// The slot, as `ClaimKey.slotText` (e.g. 20261207T010000Z).
    public var slot: String
    /// The claim's fencing number: 1, one more for every takeover.
    public var fencing: Int

    /// Describes the claim of a backup.
    public init(hostId: String, slot: String, fencing: Int) {
        self.hostId = hostId
        self.slot = slot
        self.fencing = fencing
    }
}
