import Hummingbird
import Logging
import NIOCore
import SMMDomain
import SMMHTTP

/// Carries API v2 over HTTP at `/api/v2` and `/api/v2/`, for POST (form or JSON) and GET.
/// Contract errors are HTTP 200 with `{"error": …}`; only a broken transport gets another code,
/// and rate limits get 429 with `Retry-After` (contract §8).
public struct APIv2Controller<Context: RemoteAddressRequestContext>: Sendable {
    public let api: APIv2
    public let maxBodySize: Int
    /// Rate limits and the invalid-key slowdown; nil: none.
    public let throttle: APIThrottle?
    let logger: Logger

    public init(api: APIv2, maxBodySize: Int = APIRequestLimits.maxBodySize, throttle: APIThrottle? = nil,
                logger: Logger = Logger(label: "smmpanel.api")) {
        self.api = api
        self.maxBodySize = maxBodySize
        self.throttle = throttle
        self.logger = logger
    }

    public func addRoutes(to router: Router<Context>) {
        // Hummingbird's router matches `/api/v2/` on the same route (no redirect); the tests
        // check both spellings.
        router.post("/api/v2") { request, context in try await self.handle(request, context: context) }
        router.get("/api/v2") { request, context in try await self.handle(request, context: context) }
        for method in [HTTPRequest.Method.put, .delete, .patch, .head, .options] {
            router.on("/api/v2", method: method) { _, _ in
                var response = Self.json(.error("Incorrect request"), status: .methodNotAllowed)
                response.headers[.allow] = "GET, POST"
                return response
            }
        }
        // The document is built once: it depends only on this build's code.
        let document = Self.json(OpenAPIDocument.build())
        router.get("/api/v2/openapi.json") { _, _ in document }
    }

    @Sendable func handle(_ request: Request, context: Context) async throws -> Response {
        let address = clientAddress(request, context: context)
        if let wait = throttle?.admit(address: address) { return Self.tooManyRequests(retryAfter: wait) }
        if let query = request.uri.query, query.utf8.count > APIRequestLimits.maxQueryLength {
            return Self.json(.error("Request too large"), status: .uriTooLong)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodySize)
        } catch {
            return Self.json(.error("Request too large"), status: .contentTooLarge)
        }
        let fields: [String: String]
        do {
            fields = try APIRequestFields.parse(query: request.uri.query, body: Array(buffer: body),
                                                contentType: request.headers[.contentType])
        } catch {
            return Self.json(.error("Incorrect request"))
        }
        guard fields.count <= APIRequestLimits.maxFields else { return Self.json(.error("Incorrect request")) }
        if let key = fields["key"], let wait = throttle?.admit(key: key) { return Self.tooManyRequests(retryAfter: wait) }
        do {
            let answer = try await api.respond(to: fields)
            if answer.isError(.invalidAPIKey) { throttle?.invalidKey(from: address) }
            return Self.json(answer, acceptEncoding: request.headers[.acceptEncoding])
        } catch {
            // Never echo the request: it carries the key.
            logger.error("API call failed", metadata: ["action": .string(fields["action"] ?? ""), "error": .string("\(error)")])
            return Self.json(.error("Temporary failure, please retry"), status: .serviceUnavailable)
        }
    }

    func clientAddress(_ request: Request, context: Context) -> String {
        ClientAddress.of(request, peer: context.remoteAddress, trustForwardedFor: throttle?.configuration.trustForwardedFor == true)
    }

    static func tooManyRequests(retryAfter seconds: Int) -> Response {
        var response = json(.error(PanelError.tooManyRequests.message), status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// The answer as JSON; a pre-compressed one gzipped when the client's `Accept-Encoding`
    /// allows it (the header is read only for such an answer).
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, acceptEncoding: String? = nil) -> Response {
        // nosniff: a browser never runs an answer (which may echo stored links) as a page.
        var headers: HTTPFields = [.contentType: "application/json", .init("X-Content-Type-Options")!: "nosniff"]
        let body: ByteBuffer
        if case .encoded(let buffer, let gzipped) = value {
            if let gzipped {
                // Caches in between must keep the two forms apart.
                headers[.vary] = "Accept-Encoding"
                if Gzip.isAccepted(by: acceptEncoding) {
                    headers[.contentEncoding] = "gzip"
                    body = gzipped
                } else {
                    body = buffer
                }
            } else {
                body = buffer
            }
        } else {
            var bytes: [UInt8] = []
            value.write(to: &bytes)
            body = ByteBuffer(bytes: bytes)
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
