import LifeboatCore
import Testing

@Suite("Step graph")
struct AnalysisStepGraphTests {
    @Test func topologicalOrderIsStableByDocumentOrder() {
        let graph = StepGraph([
            (id: "smoke", needs: ["dns", "promote"]),
            (id: "declare", needs: []),
            (id: "promote", needs: ["declare"]),
            (id: "dns", needs: ["declare"]),
            (id: "notify", needs: []),
        ])
        // "smoke" comes first in the document but needs the others; among ready steps the earliest wins.
        #expect(graph.topologicalOrder == ["declare", "promote", "dns", "smoke", "notify"])
        #expect(!graph.hasCycle)
        #expect(graph.unknownNeeds.isEmpty)
    }

    @Test func independentStepsKeepDocumentOrder() {
        let graph = StepGraph([(id: "c", needs: []), (id: "a", needs: []), (id: "b", needs: [])])
        #expect(graph.topologicalOrder == ["c", "a", "b"])
    }

    @Test("Cycles are returned as paths", arguments: [
        ([(id: "a", needs: ["a"])], [["a", "a"]]),
        ([(id: "a", needs: ["b"]), (id: "b", needs: ["a"])], [["a", "b", "a"]]),
        ([(id: "a", needs: ["c"]), (id: "b", needs: ["a"]), (id: "c", needs: ["b"]), (id: "d", needs: ["c"])],
         [["a", "c", "b", "a"]]),
        ([(id: "x", needs: ["y"]), (id: "y", needs: ["x"]), (id: "p", needs: ["q"]), (id: "q", needs: ["p"])],
         [["x", "y", "x"], ["p", "q", "p"]]),
    ] as [([(id: String, needs: [String])], [[String]])])
    func findsCycles(_ nodes: [(id: String, needs: [String])], _ cycles: [[String]]) {
        let graph = StepGraph(nodes)
        #expect(graph.cycles == cycles)
        #expect(graph.topologicalOrder.count == nodes.count)
    }

    @Test func stepsAfterACycleComeLastInDocumentOrder() {
        let graph = StepGraph([
            (id: "a", needs: ["b"]), (id: "b", needs: ["a"]), (id: "c", needs: []), (id: "d", needs: ["a"]),
        ])
        #expect(graph.topologicalOrder == ["c", "a", "b", "d"])
    }

    @Test func ancestorsAndReachability() {
        let graph = StepGraph([
            (id: "declare", needs: []), (id: "promote", needs: ["declare"]), (id: "dns", needs: ["declare"]),
            (id: "smoke", needs: ["promote", "dns"]), (id: "cleanup", needs: ["smoke"]), (id: "side", needs: []),
        ])
        #expect(graph.ancestors(of: "cleanup") == ["declare", "promote", "dns", "smoke"])
        #expect(graph.ancestors(of: "declare").isEmpty)
        #expect(graph.ancestors(of: "unknown").isEmpty)
        let reach = graph.reachability()
        #expect(reach.isAncestor("declare", of: "cleanup"))
        #expect(reach.isAncestor("dns", of: "smoke"))
        #expect(!reach.isAncestor("promote", of: "dns"))
        #expect(!reach.isAncestor("side", of: "cleanup"))
        #expect(!reach.isAncestor("smoke", of: "smoke"))
        #expect(graph.needs(of: "smoke") == ["promote", "dns"])
    }

    @Test func reachabilityAgreesWithAncestorsOnALargeGraph() {
        var nodes: [(id: String, needs: [String])] = []
        for i in 0..<300 {
            var needs: [String] = []
            if i >= 7 { needs.append("n\(i - 7)") }
            if i % 5 == 0 && i >= 3 { needs.append("n\(i - 3)") }
            nodes.append((id: "n\(i)", needs: needs))
        }
        let graph = StepGraph(nodes)
        let reach = graph.reachability()
        for target in ["n299", "n150", "n10"] {
            let ancestors = graph.ancestors(of: target)
            for node in nodes { #expect(reach.isAncestor(node.id, of: target) == ancestors.contains(node.id)) }
        }
    }

    @Test func unknownNeedsAreListedAndIgnored() {
        let graph = StepGraph([(id: "a", needs: ["ghost"]), (id: "b", needs: ["a", "a"])])
        #expect(graph.unknownNeeds == [StepGraph.UnknownNeed(step: "a", need: "ghost", index: 0)])
        #expect(graph.needs(of: "b") == ["a"])
        #expect(graph.topologicalOrder == ["a", "b"])
    }

    @Test func duplicateIdsKeepTheFirst() {
        let graph = StepGraph([(id: "a", needs: []), (id: "b", needs: ["a"]), (id: "a", needs: ["b"])])
        #expect(graph.ids == ["a", "b"])
        #expect(!graph.hasCycle)
    }
}
