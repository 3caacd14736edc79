/// Samples kept between flushes: the probes' loops add to it; the session drains it every
/// `flushMs` and records the batch. Closing it stops the loops.
actor ProbeSampleBuffer {
    private var samples: [ProbeSample] = []
    private(set) var isOpen = true

    func add(_ sample: ProbeSample) {
        if isOpen { samples.append(sample) }
    }

    func drain() -> [ProbeSample] {
        defer { samples = [] }
        return samples
    }

    /// Stops the loops and returns what they had taken.
    func close() -> [ProbeSample] {
        isOpen = false
        return drain()
    }
}

/// One probe's sampling: a first sample on its own (the steady state before the steps start), then
/// a loop with a sample every interval (counted from the previous one's start, so a slow sample does
/// not shift the ones after it), each raced against the probe's timeout.
struct ProbeSampler: Sendable {
    var probe: ProbeHeader
    /// The probe's request, rendered when it started; a failure makes every sample not runnable.
    var prepared: Result<ActionContext, LifeboatError>
    var handler: (any ActionHandler)?
    var clock: any EngineClock

    /// How often the session records the samples taken: a crash loses at most this much.
    static let flushMs: Int64 = 1_000

    /// Samples every interval from `firstDueMs` (monotonic) until the buffer closes.
    func run(into buffer: ProbeSampleBuffer, firstDueMs: Int64) async {
        var due = firstDueMs
        while await buffer.isOpen, !Task.isCancelled {
            let now = clock.monoMs()
            if due > now {
                do { try await clock.sleep(ms: due - now) } catch { return }
                guard await buffer.isOpen else { return }
            }
            due = max(due, now)
            await buffer.add(await sample())
            due += probe.intervalMs
        }
    }

    func sample() async -> ProbeSample {
        let at = clock.wallMs()
        let context: ActionContext
        switch prepared {
        case .failure(let error): return ProbeSample(probe: probe.id, atMs: at, outcome: .notRunnable, problem: error.message)
        case .success(let c): context = c
        }
        guard let handler else {
            return ProbeSample(probe: probe.id, atMs: at, outcome: .notRunnable, problem: "no action '\(probe.action)' here")
        }
        switch await StepAttempt.run(handler, context, timeoutMs: probe.timeoutMs, preflight: false) {
        case .success: return ProbeSample(probe: probe.id, atMs: at, outcome: .passed)
        case .failure(let error): return ProbeSample(probe: probe.id, atMs: at, outcome: .ofFailure(error), problem: error.message)
        }
    }
}
