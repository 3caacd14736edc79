import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Lets a viewer in only with the server's token (`--token-file`): an `Authorization: Bearer`
/// header, or the cookie a first visit with `?token=` sets (HttpOnly, SameSite=Strict; the browser's
/// event stream sends it too), after which the address bar no longer shows the token.
struct ViewerToken<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "lifeboat_token" }

    let token: String
    let secure: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let offered = request.uri.queryParameters["token"].map(String.init) {
            guard matches(offered) else { throw Self.refused }
            var response = Response.redirect(to: request.uri.path, type: .found)
            response.headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
            return response
        }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let cookie = request.cookies[Self.cookieName]?.value
        guard let offered = bearer ?? cookie, matches(offered) else { throw Self.refused }
        return try await next(request, context)
    }

    /// Compares digests, so the time taken says nothing about how much of the token was right.
    private func matches(_ offered: String) -> Bool {
        SHA256.hash(data: Data(offered.utf8)) == SHA256.hash(data: Data(token.utf8))
    }

    static var refused: HTTPError {
        HTTPError(.unauthorized, message: "this lifeboat serve needs its token: open the address with ?token=… once, or send Authorization: Bearer …")
    }
}
