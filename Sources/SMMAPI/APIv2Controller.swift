import Hummingbird
import Logging
import NIOCore

/// Carries API v2 over HTTP at `/api/v2` and `/api/v2/`, for POST (form or JSON) and GET.
/// Contract errors are HTTP 200 with `{"error": …}`; only a broken transport gets another code.
public struct APIv2Controller<Context: RequestContext>: Sendable {
    public let api: APIv2
    /// Largest body read; larger ones get HTTP 413.
    public let maxBodySize: Int
    let logger: Logger

    public init(api: APIv2, maxBodySize: Int = 2 * 1024 * 1024, logger: Logger = Logger(label: "smmpanel.api")) {
        self.api = api
        self.maxBodySize = maxBodySize
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
    }

    @Sendable func handle(_ request: Request, context: Context) async throws -> Response {
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
        do {
            return Self.json(try await api.respond(to: fields))
        } catch {
            // Never echo the request: it carries the key.
            logger.error("API call failed", metadata: ["action": .string(fields["action"] ?? ""), "error": .string("\(error)")])
            return Self.json(.error("Temporary failure, please retry"), status: .serviceUnavailable)
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
