import LifeboatCore
import Foundation

/// The formats `lifeboat report` writes.
public enum ReportFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case html, md, json, junit

    /// The format a file name implies (`.html`, `.md`, `.json`, `.xml`), if any.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { self = .html }
        else if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") { self = .md }
        else if lower.hasSuffix(".json") { self = .json }
        else if lower.hasSuffix(".xml") { self = .junit }
        else { return nil }
    }

    /// Renders `report` in this format.
    public func render(_ report: RunReport) throws -> String {
        switch self {
        case .html: return HTMLReport.render(report)
        case .md: return MarkdownReport.render(report)
        case .junit: return JUnitReport.render(report)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
        }
    }
}
