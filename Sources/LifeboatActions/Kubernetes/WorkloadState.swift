/// What the API server says about a deployment or statefulset's rollout, and when it counts as
/// ready for a target replica count.
struct WorkloadState: Sendable, Hashable {
    var generation: Int
    var observedGeneration: Int
    var specReplicas: Int
    /// Pods that exist (Kubernetes omits zero counts; absent means 0).
    var replicas: Int
    var readyReplicas: Int

    init(generation: Int, observedGeneration: Int, specReplicas: Int, replicas: Int, readyReplicas: Int) {
        self.generation = generation
        self.observedGeneration = observedGeneration
        self.specReplicas = specReplicas
        self.replicas = replicas
        self.readyReplicas = readyReplicas
    }

    /// Reads an apps/v1 Deployment or StatefulSet object.
    init(_ object: JSONObject) {
        generation = object.int("metadata", "generation") ?? 0
        observedGeneration = object.int("status", "observedGeneration") ?? 0
        specReplicas = object.int("spec", "replicas") ?? 1
        replicas = object.int("status", "replicas") ?? 0
        readyReplicas = object.int("status", "readyReplicas") ?? 0
    }

    /// Ready for `target`: the controller has seen the latest spec, the spec still asks for
    /// `target`, at least `target` pods are ready, and (after a scale-down) no extra pods remain.
    func isReady(for target: Int) -> Bool {
        observedGeneration >= generation && specReplicas == target && readyReplicas >= target && replicas <= target
    }

    /// `1 of 3 replicas ready` plus what else is still pending, for progress and timeout messages.
    func progress(toward target: Int) -> String {
        var text = "\(readyReplicas) of \(target) replica\(target == 1 ? "" : "s") ready"
        if observedGeneration < generation { text += ", the controller has not yet seen generation \(generation) (observed \(observedGeneration))" }
        if specReplicas != target { text += ", spec.replicas is now \(specReplicas) (changed by someone else, e.g. an autoscaler?)" }
        if replicas > target { text += ", \(replicas) pods still exist" }
        return text
    }
}
