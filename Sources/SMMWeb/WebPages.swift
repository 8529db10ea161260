import Hummingbird
import Logging
import NIOCore
import SMMDomain
import SMMHTTP
import SMMStorage

/// Who may open a page.
enum Access: Sendable {
    /// Anyone, signed in or not.
    case anyone
    /// A signed-in user (customers and admins); guests are sent to the login page.
    case customer
    /// Admins only; everyone else gets the same 404 as an unknown address, so the console is
    /// not even revealed.
    case admin
}

/// The request context of the web's pages: the visitor the session middleware loaded and the
/// form the form middleware read.
struct WebContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer, for the limits keyed on the client's address.
    let remoteAddress: SocketAddress?
    var visitor = Visitor()
    /// Fields of a POSTed form (checked for the CSRF token already), or of the query of a GET.
    var form: [String: String] = [:]

    init(context: PanelContext) throws {
        coreContext = context.coreContext
        remoteAddress = context.remoteAddress
    }
}

/// Who is asking: their session or guest token, and their language.
struct Visitor: Sendable {
    var session: WebSession?
    /// The session cookie's token (to sign out, or keep this session on a password change).
    var token: String?
    /// Without a session: the CSRF token of the visitor's signed guest cookie, if genuine.
    var guestToken: String?
    var language: Language = .en
}

/// The pages of one access level: a route group whose middleware loads the visitor, enforces
/// the access, reads the form (refusing a POST without the session's CSRF token), and audits.
struct PageGroup {
    let web: WebApp
    let group: RouterGroup<WebContext>

    init(web: WebApp, router: Router<PanelContext>, access: Access) {
        self.web = web
        group = router.group(context: WebContext.self)
            .add(middleware: VisitorMiddleware(web: web))
            .add(middleware: AccessMiddleware(access: access))
            .add(middleware: FormMiddleware(web: web))
            .add(middleware: PageActionMiddleware(web: web, access: access))
    }

    func get(_ path: RouterPath, _ handler: @escaping @Sendable (inout WebCall) async throws -> Response) {
        on(path, .get, handler)
    }

    func post(_ path: RouterPath, _ handler: @escaping @Sendable (inout WebCall) async throws -> Response) {
        on(path, .post, handler)
    }

    private func on(_ path: RouterPath, _ method: HTTPRequest.Method, _ handler: @escaping @Sendable (inout WebCall) async throws -> Response) {
        let web = web
        group.on(path, method: method) { request, context in
            var call = WebCall(request: request, context: context, web: web)
            return try await handler(&call)
        }
    }
}

/// The route groups of every access level.
struct WebPages {
    let anyone: PageGroup
    let customer: PageGroup
    let admin: PageGroup

    init(web: WebApp, router: Router<PanelContext>) {
        anyone = PageGroup(web: web, router: router, access: .anyone)
        customer = PageGroup(web: web, router: router, access: .customer)
        admin = PageGroup(web: web, router: router, access: .admin)
    }
}

/// Loads the session (or the guest cookie's token) and the language.
struct VisitorMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let web: WebApp

    func handle(_ request: Request, context: WebContext,
                next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var context = context
        context.visitor = try await web.visitor(request)
        return try await next(request, context)
    }
}

/// Guests are sent to log in from customers' pages; the console is a 404 to all but admins.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let access: Access

    func handle(_ request: Request, context: WebContext,
                next: (Request, WebContext) async throws -> Response) async throws -> Response {
        switch access {
        case .anyone:
            break
        case .customer:
            guard context.visitor.session?.user != nil else {
                // Back to the very page after logging in, query included (`/order?service=3`).
                let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                return Response.redirect(to: "/login?next=" + WebApp.percentEncoded(target), type: .normal)
            }
        case .admin:
            guard context.visitor.session?.user?.isAdmin == true else { throw HTTPError(.notFound) }
        }
        return try await next(request, context)
    }
}

/// A POST's form, refused (changing nothing) unless it carries the session's CSRF token; a
/// GET's query.
struct FormMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let web: WebApp

    func handle(_ request: Request, context: WebContext,
                next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var context = context
        if request.method == .post {
            let body = try await request.body.collect(upTo: WebApp.maxFormSize)
            context.form = (try? APIRequestFields.parse(query: nil, body: Array(buffer: body),
                                                        contentType: "application/x-www-form-urlencoded")) ?? [:]
            let call = WebCall(request: request, context: context, web: web)
            guard let expected = call.formToken, let sent = call.form["csrf"], WebApp.constantTimeEqual(sent, expected) else {
                return call.page(.message, title: call.strings["expired_title"], MessagePage(message: call.strings["expired_text"].shown),
                                 status: .forbidden)
            }
        } else {
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            context.form = query
        }
        return try await next(request, context)
    }
}

/// Runs the page as its viewer (balance changes are audited as theirs), audits every admin
/// POST, and turns a full hashing queue into a 429 page; other failures are logged.
struct PageActionMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let web: WebApp
    let access: Access

    func handle(_ request: Request, context: WebContext,
                next: (Request, WebContext) async throws -> Response) async throws -> Response {
        let actor: AuditActor = switch (access, context.visitor.session?.user) {
        case (.admin, let user?): .admin(user.id)
        case (_, let user?): .web(user.id)
        default: .system
        }
        do {
            return try await AuditActor.$current.withValue(actor) {
                // Every admin action is audited: who, which page, the row before and after.
                guard case .admin = access, request.method == .post else { return try await next(request, context) }
                return try await web.store.audited("web POST \(request.uri.path)", target: WebApp.auditTarget(request.uri.path)) {
                    try await next(request, context)
                }
            }
        } catch let error as HTTPError {
            throw error
        } catch is PasswordHasher.Busy {
            let call = WebCall(request: request, context: context, web: web)
            return AuthPages.retrying(call.page(.message, title: call.strings["busy_title"], MessagePage(message: call.strings["busy_text"].shown),
                                                status: .tooManyRequests), after: AuthPages.busyRetry)
        } catch {
            // The visitor gets a bare 500; the operator gets the cause (never form values:
            // they can hold passwords).
            web.logger.error("web page failed", metadata: ["path": .string(request.uri.path), "error": .string("\(error)")])
            throw error
        }
    }
}
