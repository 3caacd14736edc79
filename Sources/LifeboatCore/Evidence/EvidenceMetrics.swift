/// What Lifeboat's metrics are made of (`lifeboat metrics`; rendered by LifeboatReports).
public enum EvidenceMetrics {
    /// The newest ended drill or real execution of a plan + scenario.
    public struct LastDrill: Sendable, Hashable, Codable {
        public var run: RunRecord
        public var figures: RunFigures?
        /// Steps of the run whose outcome an operator forced (resolve, skip).
        public var forcedSteps: Int

        public init(run: RunRecord, figures: RunFigures?, forcedSteps: Int = 0) {
            self.run = run
            self.figures = figures
            self.forcedSteps = forcedSteps
        }
    }
}
