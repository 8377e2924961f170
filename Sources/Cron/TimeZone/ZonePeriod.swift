/// A stretch of instants `start..<end` with one UTC offset.
struct ZonePeriod: Sendable, Hashable {
    var start: Int
    var end: Int
    var offset: Int

    /// The wall-clock seconds this stretch shows, `start + offset ..< end + offset`.
    var wall: Range<Int> { (start + offset)..<(end + offset) }
}
