// A binary heap: the BPE trainer's merge queue and the encoder's queue for long pieces. Elements
// pop least first by their `<`, so each user states its order in its element type.

struct BinaryHeap<Element: Comparable> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ value: Element) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !(items[child] < items[parent]) { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    /// The least element, removed; nil when the heap is empty.
    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var least = parent
                if left < items.count && items[left] < items[least] { least = left }
                if right < items.count && items[right] < items[least] { least = right }
                if least == parent { break }
                items.swapAt(parent, least)
                parent = least
            }
        }
        return top
    }
}
