extension Duration {
    /// The duration in seconds, for Dispatch deadlines and waits.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
