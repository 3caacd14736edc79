import Foundation
import LifeboatCore
import Yams

/// Reads the credentials of one context from kubeconfig files, the way kubectl does.
///
/// Files: the step's `kubeconfig:` (relative to the runbook's folder), else each path in `$KUBECONFIG`
/// (colon-separated, merged: the first file that names a cluster, user or context wins, and the
/// first `current-context` wins), else `~/.kube/config`. Paths inside a file (`certificate-authority`,
/// `client-certificate`, `client-key`, `tokenFile`) are relative to that file's folder.
/// Exec and auth-provider plugins are not run: such a user is refused with a message.
enum KubeConfig {
    /// One kubeconfig file's sections, with the folder its relative paths resolve against.
    private struct Entry {
        var fields: [String: Any]
        var directory: String
    }

    /// The files to read: `explicit` when given, else `$KUBECONFIG`'s entries, else `~/.kube/config`.
    static func files(explicit: String?, environment: [String: String]) -> [String] {
        if let explicit { return [explicit] }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            if !paths.isEmpty { return paths }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return [home + "/.kube/config"]
    }

    /// The credentials for `context` (nil: the files' `current-context`).
    static func load(files: [String], context wanted: String?) throws(LifeboatError) -> KubeCredentials {
        var clusters: [String: Entry] = [:]
        var users: [String: Entry] = [:]
        var contexts: [String: Entry] = [:]
        var current: String?
        var readAny = false
        for path in files {
            guard FilePaths.isRegularFile(path) else {
                // kubectl skips missing $KUBECONFIG entries; a single named file must exist.
                if files.count == 1 {
                    throw LifeboatError(
                        .invalidInput, "kubeconfig \(path) does not exist",
                        hint: "set kubeconfig: to the file kubectl uses, or give server: and token: explicitly")
                }
                continue
            }
            let document = try parse(path)
            readAny = true
            let directory = (path as NSString).deletingLastPathComponent
            if current == nil, let c = document["current-context"] as? String, !c.isEmpty { current = c }
            collect(document["clusters"], key: "cluster", into: &clusters, directory: directory)
            collect(document["users"], key: "user", into: &users, directory: directory)
            collect(document["contexts"], key: "context", into: &contexts, directory: directory)
        }
        let fileList = files.joined(separator: ":")
        guard readAny else {
            throw LifeboatError(
                .invalidInput, "no kubeconfig file exists (\(fileList))",
                hint: "set kubeconfig: to the file kubectl uses, or give server: and token: explicitly")
        }
        guard let name = wanted ?? current else {
            throw LifeboatError(
                .invalidInput, "kubeconfig \(fileList) has no current-context",
                hint: "set context: in the step")
        }
        guard let context = contexts[name] else {
            let known = contexts.keys.sorted().joined(separator: ", ")
            throw LifeboatError(
                .invalidInput, "kubeconfig \(fileList) has no context '\(name)'",
                hint: known.isEmpty ? "the file defines no contexts" : "contexts there: \(known)")
        }
        guard let clusterName = context.fields["cluster"] as? String, let cluster = clusters[clusterName] else {
            throw LifeboatError(
                .invalidInput, "context '\(name)' names cluster '\(context.fields["cluster"] ?? "")', which kubeconfig \(fileList) does not define",
                hint: "fix the kubeconfig")
        }
        guard var server = cluster.fields["server"] as? String, server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw LifeboatError(
                .invalidInput, "cluster '\(clusterName)' in kubeconfig \(fileList) has no http(s) server URL",
                hint: "fix the cluster's server: field")
        }
        while server.hasSuffix("/") { server.removeLast() }

        var credentials = KubeCredentials(
            server: server, caPEM: nil, caSource: nil,
            insecureSkipVerify: boolField(cluster.fields["insecure-skip-tls-verify"]), token: nil, clientCertPEM: nil,
            clientKeyPEM: nil, origin: "context '\(name)'")
        let what = "cluster '\(clusterName)'"
        if let data = cluster.fields["certificate-authority-data"] as? String {
            credentials.caPEM = try decode(data, field: "certificate-authority-data of \(what)")
            credentials.caSource = "certificate-authority-data of \(what)"
        } else if let file = cluster.fields["certificate-authority"] as? String {
            let path = FilePaths.resolve(file, against: cluster.directory)
            credentials.caPEM = try read(path, field: "certificate-authority of \(what)")
            credentials.caSource = "certificate-authority \(path)"
        }

        if let userName = context.fields["user"] as? String, !userName.isEmpty {
            guard let user = users[userName] else {
                throw LifeboatError(
                    .invalidInput, "context '\(name)' names user '\(userName)', which kubeconfig \(fileList) does not define",
                    hint: "fix the kubeconfig")
            }
            try apply(user, named: userName, to: &credentials)
        }
        return credentials
    }

    /// Fills in the token and client certificate of `user`.
    private static func apply(_ user: Entry, named userName: String, to credentials: inout KubeCredentials) throws(LifeboatError) {
        let what = "user '\(userName)'"
        if user.fields["exec"] != nil || user.fields["auth-provider"] != nil {
            throw LifeboatError(
                .invalidInput, "\(what) authenticates through an exec or auth-provider plugin, which Lifeboat does not run",
                hint: "give the step a token (a service account's, from ${secrets.x}) or a client certificate")
        }
        if let token = user.fields["token"] as? String, !token.isEmpty {
            credentials.token = token
        } else if let file = user.fields["tokenFile"] as? String {
            let path = FilePaths.resolve(file, against: user.directory)
            let bytes = try read(path, field: "tokenFile of \(what)")
            credentials.token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let data = user.fields["client-certificate-data"] as? String {
            credentials.clientCertPEM = try decode(data, field: "client-certificate-data of \(what)")
        } else if let file = user.fields["client-certificate"] as? String {
            credentials.clientCertPEM = try read(
                FilePaths.resolve(file, against: user.directory), field: "client-certificate of \(what)")
        }
        if let data = user.fields["client-key-data"] as? String {
            credentials.extraSecrets.append(data)
            credentials.clientKeyPEM = try decode(data, field: "client-key-data of \(what)")
        } else if let file = user.fields["client-key"] as? String {
            credentials.clientKeyPEM = try read(FilePaths.resolve(file, against: user.directory), field: "client-key of \(what)")
        }
        guard (credentials.clientCertPEM == nil) == (credentials.clientKeyPEM == nil) else {
            throw LifeboatError(
                .invalidInput, "\(what) has a client certificate without its key, or a key without its certificate",
                hint: "give both client-certificate(-data) and client-key(-data)")
        }
    }

    private static func parse(_ path: String) throws(LifeboatError) -> [String: Any] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LifeboatError(.invalidInput, "kubeconfig \(path) cannot be read", hint: "check its permissions")
        }
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch {
            // Yams' message may quote a line of the file, and the file holds secrets: keep it out.
            throw LifeboatError(.invalidInput, "kubeconfig \(path) is not valid YAML", hint: "check it with kubectl config view")
        }
        guard let document = loaded as? [String: Any] else {
            throw LifeboatError(.invalidInput, "kubeconfig \(path) is not a kubeconfig (no top-level map)", hint: "check it with kubectl config view")
        }
        return document
    }

    /// `clusters: [{name: x, cluster: {...}}]` into `table[x]`, first definition wins.
    private static func collect(_ section: Any?, key: String, into table: inout [String: Entry], directory: String) {
        guard let items = section as? [Any] else { return }
        for item in items {
            guard let item = item as? [String: Any], let name = item["name"] as? String, table[name] == nil else { continue }
            table[name] = Entry(fields: item[key] as? [String: Any] ?? [:], directory: directory)
        }
    }

    private static func boolField(_ value: Any?) -> Bool {
        if let b = value as? Bool { return b }
        if let s = value as? String { return s == "true" }
        return false
    }

    private static func decode(_ base64: String, field: String) throws(LifeboatError) -> [UInt8] {
        let compact = base64.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw LifeboatError(.invalidInput, "kubeconfig \(field) is not base64", hint: "fix the kubeconfig")
        }
        return Array(data)
    }

    private static func read(_ path: String, field: String) throws(LifeboatError) -> [UInt8] {
        guard FilePaths.isRegularFile(path), let data = FileManager.default.contents(atPath: path) else {
            throw LifeboatError(
                .invalidInput, "kubeconfig \(field): file \(path) does not exist or cannot be read",
                hint: "relative paths in a kubeconfig are relative to the kubeconfig's folder")
        }
        return Array(data)
    }
}
