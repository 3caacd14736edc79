import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LifeboatReports

/// The headers every response carries, errors included: a strict Content-Security-Policy (scripts
/// only from this server, styles only the pages' own inline blocks by their hashes, no frames, no
/// forms elsewhere, nothing from other origins), no sniffing, no referrer, no caching.
struct ResponseHeaders<Context: RequestContext>: RouterMiddleware {
    /// The policy, with the hash of each inline style block the pages carry.
    static var contentSecurityPolicy: String {
        let styles = [HTMLStyle.css, WarRoomPage.css].map { css in
            "'sha256-" + Data(SHA256.hash(data: Data(css.utf8))).base64EncodedString() + "'"
        }
        return "default-src 'none'; script-src 'self'; style-src \(styles.joined(separator: " ")); img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    let policy = Self.contentSecurityPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
