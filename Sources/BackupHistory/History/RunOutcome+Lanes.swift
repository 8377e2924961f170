extension RunOutcome {
    /// This outcome with one lane per destination of `destinations` (name and bucket, in the job's
    /// order): its own lanes when it has them, else each destination given the run's result, stored
    /// with the run's object when it succeeded and failed with the run's error otherwise. What the
    /// history and every observer read, so no reader needs a second shape for a lane-less outcome.
    public func completingLanes(_ destinations: [(name: String, bucket: String?)]) -> RunOutcome {
        guard self.destinations.isEmpty else { return self }
        var outcome = self
        let state: LaneState = status == .succeeded
            ? .stored(LaneReceipt(objectKey: objectKey, bytesStored: bytesStored, sha256: sha256))
            : .failed(LaneFailure(reason: error, interrupted: status == .interrupted, objectKey: objectKey))
        outcome.destinations = destinations.map { DestinationOutcome(destination: $0.name, bucket: $0.bucket, state: state) }
        return outcome
    }
}
