// swift-tools-version: 6.2
// Fuzz targets for Lifeboat, built apart from the product so that `swift build` never pays for them:
//   scripts/fuzz documents [--runs N] [--seconds S]
// builds this package with `-sanitize=fuzzer` into `.build-fuzz` (see scripts/fuzz.py).
import Foundation
import PackageDescription

/// The DNS target needs the `LifeboatDNS` library product of the main package; it is added only
/// once the main Package.swift exports it (`.library(name: "LifeboatDNS", targets: ["LifeboatDNS"])`).
let root = Context.packageDirectory + "/../Package.swift"
let hasDNS = (try? String(contentsOfFile: root, encoding: .utf8))?.contains("name: \"LifeboatDNS\", targets") ?? false

var targets: [Target] = [
    // Declares libFuzzer's driver, which each target's main.swift calls.
    .target(name: "CFuzzer"),
    // Feeds bytes to the plan/runbook loader as a plan, as a runbook and as the runbook of a plan;
    // every rejection must name file:line:col.
    .executableTarget(
        name: "FuzzDocuments",
        dependencies: ["CFuzzer", .product(name: "LifeboatCore", package: "Lifeboat")]
    ),
]
if hasDNS {
    // Feeds bytes to the DNS wire decoder: it may reject them, never crash or hang.
    targets.append(.executableTarget(
        name: "FuzzDNS",
        dependencies: ["CFuzzer", .product(name: "LifeboatDNS", package: "Lifeboat")]
    ))
}

let package = Package(
    name: "LifeboatFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Lifeboat", path: "..")],
    targets: targets
)
