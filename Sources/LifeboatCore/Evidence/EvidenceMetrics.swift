/// What Lifeboat's metrics are made of (`lifeboat metrics`; rendered by LifeboatReports).
public enum EvidenceMetrics {
    /// The newest ended drill or real execution of a plan + scenario.
    public struct LastDrill: Sendable, Hashable {
        public var run: RunRecord
        public var figures: RunFigures?

        public init(run: RunRecord, figures: RunFigures?) {
            self.run = run
            self.figures = figures
        }
    }
}
