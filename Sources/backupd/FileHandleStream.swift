import Foundation

/// Unbuffered writes to standard output or error.
struct FileHandleStream {
    let handle: FileHandle
    static let standardError = FileHandleStream(handle: .standardError)
    static let standardOutput = FileHandleStream(handle: .standardOutput)

    func write(_ text: String) {
        handle.write(Data(text.utf8))
    }
}
