/// A runbook's steps as a dependency graph (`needs`): a stable topological order, cycles and
/// ancestry.
///
/// Ids are unique in the graph: a repeated id keeps its first occurrence. `needs` naming no step
/// are left out of the edges and listed in `unknownNeeds`.
public struct StepGraph: Sendable {
    /// A `needs` entry that names no step of the graph.
    public struct UnknownNeed: Sendable, Hashable {
        public var step: String
        public var need: String
        /// Position of the entry in the step's `needs`.
        public var index: Int

        public init(step: String, need: String, index: Int) {
            self.step = step
            self.need = need
            self.index = index
        }
    }

    /// Step ids in document order.
    public let ids: [String]
    /// Every step, dependencies first; among the steps that are ready, the earliest in the document
    /// comes first. Steps on or after a cycle come last, in document order.
    public let topologicalOrder: [String]
    /// Each cycle as a path that returns to its start: `[a, b, c, a]` means a needs b, b needs c,
    /// c needs a. One cycle per strongly connected group of steps, ordered by document position.
    public let cycles: [[String]]
    public let unknownNeeds: [UnknownNeed]

    let indexByID: [String: Int]
    /// Indices of the steps each step needs (deduplicated, known steps only).
    let parents: [[Int]]
    let children: [[Int]]
    /// Indices in topological order; `acyclicCount` of them are ordered properly.
    let order: [Int]
    let acyclicCount: Int

    public init(steps: [Step]) {
        self.init(steps.map { (id: $0.id, needs: $0.needs) })
    }

    public init(_ nodes: [(id: String, needs: [String])]) {
        var ids: [String] = []
        var indexByID: [String: Int] = [:]
        var kept: [[String]] = []
        for node in nodes where indexByID[node.id] == nil {
            indexByID[node.id] = ids.count
            ids.append(node.id)
            kept.append(node.needs)
        }
        var parents = [[Int]](repeating: [], count: ids.count)
        var children = [[Int]](repeating: [], count: ids.count)
        var unknown: [UnknownNeed] = []
        for (i, needs) in kept.enumerated() {
            var seen = Set<Int>()
            for (position, need) in needs.enumerated() {
                guard let p = indexByID[need] else {
                    unknown.append(UnknownNeed(step: ids[i], need: need, index: position))
                    continue
                }
                if seen.insert(p).inserted {
                    parents[i].append(p)
                    children[p].append(i)
                }
            }
        }
        let (order, acyclicCount) = Self.sort(parents: parents, children: children)
        self.ids = ids
        self.indexByID = indexByID
        self.parents = parents
        self.children = children
        self.order = order
        self.acyclicCount = acyclicCount
        self.topologicalOrder = order.map { ids[$0] }
        self.unknownNeeds = unknown
        self.cycles = acyclicCount == ids.count ? [] : Self.findCycles(parents: parents).map { $0.map { ids[$0] } }
    }

    public var hasCycle: Bool { !cycles.isEmpty }

    public func contains(_ id: String) -> Bool { indexByID[id] != nil }

    /// The known steps `id` needs directly.
    public func needs(of id: String) -> [String] {
        guard let i = indexByID[id] else { return [] }
        return parents[i].map { ids[$0] }
    }

    /// Every step `id` depends on, directly or through other steps.
    public func ancestors(of id: String) -> Set<String> {
        guard let start = indexByID[id] else { return [] }
        var seen = Set<Int>()
        var stack = parents[start]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack.append(contentsOf: parents[next])
        }
        return Set(seen.map { ids[$0] })
    }

    /// Ancestry of every step at once, for many queries (computed in one pass over the graph).
    public func reachability() -> Reachability { Reachability(self) }

    // MARK: - Sorting and cycles

    /// Kahn's algorithm with the ready steps kept in document order (a min-heap of indices).
    private static func sort(parents: [[Int]], children: [[Int]]) -> ([Int], Int) {
        var remaining = parents.map(\.count)
        var ready = MinHeap()
        for (i, count) in remaining.enumerated() where count == 0 { ready.push(i) }
        var order: [Int] = []
        order.reserveCapacity(parents.count)
        while let next = ready.pop() {
            order.append(next)
            for child in children[next] {
                remaining[child] -= 1
                if remaining[child] == 0 { ready.push(child) }
            }
        }
        let acyclic = order.count
        if acyclic < parents.count {
            var placed = [Bool](repeating: false, count: parents.count)
            for i in order { placed[i] = true }
            for i in parents.indices where !placed[i] { order.append(i) }
        }
        return (order, acyclic)
    }

    /// One cycle per strongly connected component (Tarjan, iterative), each starting at the
    /// component's earliest step and following `needs` back to it by the shortest route.
    private static func findCycles(parents: [[Int]]) -> [[Int]] {
        let n = parents.count
        var index = [Int](repeating: -1, count: n)
        var low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        var counter = 0
        var components: [[Int]] = []
        for root in 0..<n where index[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while !work.isEmpty {
                let (v, e) = work[work.count - 1]
                if e < parents[v].count {
                    work[work.count - 1].edge += 1
                    let w = parents[v][e]
                    if index[w] < 0 {
                        index[w] = counter; low[w] = counter; counter += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent], low[v]) }
                if low[v] == index[v] {
                    var component: [Int] = []
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component.append(w)
                        if w == v { break }
                    }
                    let cyclic = component.count > 1 || parents[v].contains(v)
                    if cyclic { components.append(component) }
                }
            }
        }
        return components
            .map { cyclePath(in: Set($0), parents: parents) }
            .sorted { $0[0] < $1[0] }
    }

    private static func cyclePath(in component: Set<Int>, parents: [[Int]]) -> [Int] {
        let start = component.min()!
        if parents[start].contains(start) { return [start, start] }
        var previous: [Int: Int] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let v = queue[head]
            head += 1
            for w in parents[v] where component.contains(w) {
                if w == start {
                    var path = [start]
                    var node = v
                    while node != start {
                        path.append(node)
                        node = previous[node]!
                    }
                    return [start] + path.dropFirst().reversed() + [start]
                }
                if previous[w] == nil {
                    previous[w] = v
                    queue.append(w)
                }
            }
        }
        return [start, start]
    }
}

/// Which steps each step depends on, as bit sets: answers "is A an ancestor of B?" in O(1).
public struct Reachability: Sendable {
    private let graph: StepGraph
    private let words: Int
    private var bits: [UInt64]

    init(_ graph: StepGraph) {
        self.graph = graph
        let n = graph.ids.count
        words = (n + 63) / 64
        bits = [UInt64](repeating: 0, count: n * words)
        for position in 0..<graph.acyclicCount {
            let v = graph.order[position]
            for p in graph.parents[v] {
                for w in 0..<words { bits[v * words + w] |= bits[p * words + w] }
                bits[v * words + p / 64] |= 1 << UInt64(p % 64)
            }
        }
        // Steps on or after a cycle: walk their ancestry one by one.
        for position in graph.acyclicCount..<n {
            let v = graph.order[position]
            var seen = Set<Int>()
            var stack = graph.parents[v]
            while let next = stack.popLast() {
                guard seen.insert(next).inserted else { continue }
                stack.append(contentsOf: graph.parents[next])
            }
            for a in seen { bits[v * words + a / 64] |= 1 << UInt64(a % 64) }
        }
    }

    /// Whether `step` depends on `ancestor`, directly or not.
    public func isAncestor(_ ancestor: String, of step: String) -> Bool {
        guard let a = graph.indexByID[ancestor], let s = graph.indexByID[step] else { return false }
        return bits[s * words + a / 64] & (1 << UInt64(a % 64)) != 0
    }
}

/// A binary min-heap of Ints.
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l] < items[smallest] { smallest = l }
                if r < items.count, items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
