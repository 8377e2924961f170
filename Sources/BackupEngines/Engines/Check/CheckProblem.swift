/// A check that found a problem it words itself.
struct CheckProblem: Error, CustomStringConvertible {
    let description: String
}
