/// Step states by position in the run's topological order, addressable by step id.
///
/// What the machine asks of the states at every input is kept up to date as they change, so that
/// `settle` and the run's ending never walk every step: how many steps are busy, waiting or
/// unknown, how many are not done, and which may start (a pending step whose needs are all
/// succeeded or skipped, or a step whose retry is due). `StepStatesTests` checks each against a
/// walk of the states after every change.
public struct StepStates: Sendable, Hashable {
    public typealias State = RunStateMachine.StepState

    /// In `RunHeader.steps` order.
    public private(set) var list: [State]
    private let positions: [String: Int]
    /// For each step, the positions of the steps that need it (once per mention).
    private let dependants: [[Int]]
    /// For each step, how many of its needs are neither succeeded nor skipped.
    private var unmetNeeds: [Int]
    /// Positions of the steps that may start, ascending.
    private var startable: [Int]
    /// Steps running or verifying.
    private(set) var busyCount = 0
    /// Steps whose retry or approval is awaited.
    private(set) var waitingCount = 0
    private(set) var unknownCount = 0
    /// Steps neither succeeded nor skipped.
    private(set) var notDoneCount: Int

    /// Every step pending.
    init(steps: [StepHeader]) {
        let positions = Dictionary(steps.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var dependants = Array(repeating: [Int](), count: steps.count)
        var unmetNeeds = Array(repeating: 0, count: steps.count)
        for (index, step) in steps.enumerated() {
            for need in step.needs {
                guard let position = positions[need] else { continue }
                dependants[position].append(index)
                unmetNeeds[index] += 1
            }
        }
        self.list = Array(repeating: .pending, count: steps.count)
        self.positions = positions
        self.dependants = dependants
        self.unmetNeeds = unmetNeeds
        self.startable = unmetNeeds.indices.filter { unmetNeeds[$0] == 0 }
        self.notDoneCount = steps.count
    }

    func position(of id: String) -> Int? { positions[id] }

    public subscript(id: String) -> State? {
        get { positions[id].map { list[$0] } }
        set {
            guard let index = positions[id], let newValue else { return }
            let old = list[index]
            list[index] = newValue
            count(old, by: -1)
            count(newValue, by: 1)
            if Self.isDone(old) != Self.isDone(newValue) {
                let change = Self.isDone(newValue) ? -1 : 1
                for dependant in dependants[index] {
                    unmetNeeds[dependant] += change
                    refreshStartable(dependant)
                }
            }
            refreshStartable(index)
        }
    }

    /// The first step after position `position` that may start, if any.
    func firstStartable(after position: Int) -> Int? {
        let slot = startableSlot(of: position + 1)
        return slot < startable.count ? startable[slot] : nil
    }

    /// Whether the step at `index` may start, as far as its own state and its needs go.
    private func mayStart(_ index: Int) -> Bool {
        switch list[index] {
        case .pending: return unmetNeeds[index] == 0
        case .retryWait(_, due: true): return true
        default: return false
        }
    }

    private mutating func refreshStartable(_ index: Int) {
        let slot = startableSlot(of: index)
        let listed = slot < startable.count && startable[slot] == index
        switch (mayStart(index), listed) {
        case (true, false): startable.insert(index, at: slot)
        case (false, true): startable.remove(at: slot)
        default: break
        }
    }

    /// Where `position` is, or would go, in `startable`.
    private func startableSlot(of position: Int) -> Int {
        var low = 0
        var high = startable.count
        while low < high {
            let middle = (low + high) / 2
            if startable[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func count(_ state: State, by change: Int) {
        switch state {
        case .running, .verifying: busyCount += change
        case .retryWait, .awaitingApproval: waitingCount += change
        case .unknown: unknownCount += change
        default: break
        }
        if !Self.isDone(state) { notDoneCount += change }
    }

    static func isDone(_ state: State) -> Bool { state == .succeeded || state == .skipped }

    // The counts, `unmetNeeds` and `startable` follow from `list`, the ids and the needs: two
    // values with the same three are equal.
    public static func == (lhs: StepStates, rhs: StepStates) -> Bool {
        lhs.list == rhs.list && lhs.positions == rhs.positions && lhs.dependants == rhs.dependants
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(list)
    }
}
