import Foundation

/// A binary min-heap of (due time, job index), ties broken by index (config order), so finding
/// the next wake is O(1) and taking a due job O(log n) whatever the number of jobs.
struct DueHeap: Sendable {
    struct Entry: Sendable, Comparable {
        var due: Date
        var job: Int

        static func < (a: Entry, b: Entry) -> Bool { a.due != b.due ? a.due < b.due : a.job < b.job }
    }

    private(set) var entries: [Entry] = []

    var min: Entry? { entries.first }
    var count: Int { entries.count }

    init() {}

    /// Builds a heap from unordered entries in O(n).
    init(_ unordered: [Entry]) {
        entries = unordered
        var i = entries.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    mutating func popMin() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
        return top
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            var smallest = left
            let right = left + 1
            if right < entries.count && entries[right] < entries[left] { smallest = right }
            guard entries[smallest] < entries[parent] else { return }
            entries.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
