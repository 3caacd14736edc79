import Foundation
import LifeboatCore

/// The action specs of the real CLI, read back from `lifeboat schema` (the file named by
/// `LIFEBOAT_FUZZ_SCHEMA`, written by scripts/fuzz), so that the fuzzed loader checks `with:`
/// exactly as `lifeboat validate` does without building the actions themselves.
enum FuzzSpecs {
    static func load() -> [ActionSpec] {
        guard let path = ProcessInfo.processInfo.environment["LIFEBOAT_FUZZ_SCHEMA"],
              let data = FileManager.default.contents(atPath: path),
              let schema = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let defs = schema["$defs"] as? [String: Any]
        else {
            FileHandle.standardError.write(Data("fuzz: LIFEBOAT_FUZZ_SCHEMA is not a `lifeboat schema` file: no action specs\n".utf8))
            return []
        }
        return defs.keys.sorted().compactMap { key -> ActionSpec? in
            guard key.hasPrefix("with."), let with = defs[key] as? [String: Any] else { return nil }
            let properties = with["properties"] as? [String: Any] ?? [:]
            let required = Set(with["required"] as? [String] ?? [])
            let parameters = properties.keys.sorted().map { name in
                ActionParameter(name, kind(properties[name] as? [String: Any] ?? [:]), required: required.contains(name), "")
            }
            return ActionSpec(
                name: String(key.dropFirst(5)), summary: with["description"] as? String ?? "", parameters: parameters,
                idempotent: false, hasVerify: false, strictParameters: (with["additionalProperties"] as? Bool) == false)
        }
    }

    /// The parameter kind a schema fragment was printed from (the inverse of DocumentSchema).
    private static func kind(_ fragment: [String: Any]) -> ActionParameter.Kind {
        guard let anyOf = fragment["anyOf"] as? [[String: Any]], let first = anyOf.first else {
            return fragment["type"] == nil ? .any : .string
        }
        if first["anyOf"] != nil { return .int }
        switch first["$ref"] as? String {
        case "#/$defs/duration"?: return .duration
        case "#/$defs/size"?: return .size
        default: break
        }
        switch first["type"] as? String {
        case "number"?: return .number
        case "boolean"?: return .bool
        case "object"?: return .map
        case "array"?:
            let items = first["items"] as? [String: Any] ?? [:]
            return items["anyOf"] != nil ? .intList : .stringList
        default: return .any
        }
    }
}
