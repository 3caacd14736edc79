import AsyncHTTPClient
import LifeboatCore

/// The actions every build of Lifeboat ships: `command`, `http.check`, `postgres.query`,
/// `postgres.promote`, `postgres.restore`, `dns.update`, `dns.check`, `kubernetes.scale`, `notify`, `wait` and `approval`.
public enum StandardActions {
    /// A registry with the standard actions.
    ///
    /// - Parameter httpClient: the client `http.check`, `notify` and `kubernetes.scale` send with. The default is the
    ///   process-wide `HTTPCheckAction.processClient` (created at the first check), which needs no
    ///   shutdown; a caller passing its own client shuts it down after the last run that uses it.
    public static func registry(httpClient: HTTPClient? = nil) -> ActionRegistry {
        let checks = ActionRegistry([CommandAction(), HTTPCheckAction(client: httpClient), PostgresQueryAction(), DNSCheckAction()])
        var registry = checks
        registry.register(WaitAction(lookup: { checks.handler($0) }))
        registry.register(ApprovalAction())
        registry.register(PostgresPromoteAction())
        registry.register(PostgresRestoreAction())
        registry.register(KubernetesScaleAction(client: httpClient))
        registry.register(DNSUpdateAction())
        registry.register(NotifyAction(client: httpClient))
        return registry
    }
}
