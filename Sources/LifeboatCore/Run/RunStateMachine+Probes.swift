/// Steady-state probes: which start when, their samples recorded in batches, and the abort
/// criterion judged on them. Sampling is the executor's; what the samples mean is decided here.
extension RunStateMachine {
    public func probe(_ id: String) -> ProbeHeader? { header.probes?.first { $0.id == id } }

    /// Records a batch of samples (in any phase: the last batch may come after the run ended) and,
    /// while the run executes and nothing stops it yet, records the breach of each probe whose abort
    /// criterion is met: the first that stops the run (a drill's `pause` or `abort`) ends the look.
    mutating func takeSamples(_ samples: [ProbeSample], into out: inout Decision) throws(TransitionError) {
        let known = samples.filter { probe($0.probe) != nil }
        guard !known.isEmpty else { return }
        probesAwaitingFirstSample.subtract(known.map(\.probe))
        try emit(.probeSamples(series: ProbeSeries.batches(known)), into: &out)
        guard phase == .executing, hasExecutor, stopRequest == nil else { return }
        for probe in header.probes ?? [] {
            guard let rule = probe.abortWhen, let window = probeWindows[probe.id], !window.reported,
                let why = window.breach(rule)
            else { continue }
            let then = probe.onBreach.inRun(of: header.mode)
            try emit(.probeBreached(probe: probe.id, reason: why, then: then), into: &out)
            if then != .report { return }
        }
    }

    mutating func applyProbe(_ kind: RunEvent.Kind) throws(TransitionError) {
        switch kind {
        case .probeSamples(let series):
            for batch in series {
                guard let rule = probe(batch.probe)?.abortWhen else { continue }
                var window = probeWindows[batch.probe, default: ProbeWindow()]
                for sample in batch.samples { window.add(sample, spanMs: rule.spanMs) }
                // A reported breach is judged again once the probe has recovered.
                if window.reported, window.breach(rule) == nil { window.reported = false }
                probeWindows[batch.probe] = window
            }
        case .probeBreached(let id, _, let then):
            guard phase == .executing else { throw invalid("probeBreached", "the run is \(phaseName)") }
            guard probe(id) != nil else { throw invalid("probeBreached", "there is no probe '\(id)' in this run") }
            switch then {
            case .report: probeWindows[id, default: ProbeWindow()].reported = true
            case .pause, .abort:
                probeWindows[id] = nil
                if stopRequest != .abort { setStop(then == .abort ? .abort : .pause(.probeBreached)) }
            }
        default:
            break
        }
    }

    /// The probes an event about to be recorded starts: those from the run's start (or from a step
    /// already under way) when an executor starts, and those from a step when it starts.
    func probesStarted(by kind: RunEvent.Kind) -> [String] {
        guard let probes = header.probes, !probes.isEmpty else { return [] }
        switch kind {
        case .executorStarted:
            return probes.filter { probe in
                guard let from = probe.from else { return true }
                return states[from].map { $0 != .pending } ?? true
            }.map(\.id)
        case .stepStarted(let id, _), .approvalRequested(let id, _):
            return probes.filter { $0.from == id }.map(\.id)
        default:
            return []
        }
    }
}
