import SMMDomain
import SMMHTTP

/// The OpenAPI 3 description of API v2, served at `/api/v2/openapi.json`.
///
/// What the code already knows is taken from it (the actions, each service type's `add`
/// fields); the rest (response shapes, error wording) is written here, and `OpenAPITests`
/// holds both against what the live API actually does, so neither can drift alone.
public enum OpenAPIDocument {
    /// The error messages of API v2 as templates; `{…}` stands for a value.
    public static let errorMessages: [String] = [
        "Incorrect request", "Invalid API key", "Incorrect service ID", "Incorrect link",
        "Quantity less than minimal {min}", "Quantity more than maximum {max}", "Not enough funds on balance",
        "You have active order with this link. Please wait until order being completed.",
        "Incorrect order ID", "Refill not found", "Refill is not available for this order",
        "Cancel is not available for this order", "Too many ids (maximum {count})", "Missing required field: {field}",
        "Incorrect {field}", "Drip-feed is not available for this service", "Too many requests",
        "Request too large", "Temporary failure, please retry",
    ]

    /// Fields every call carries.
    static let common: [(String, JSONValue)] = [
        ("key", property("string", "The customer's API key.")),
    ]

    /// Extra fields of each action besides `key` and `action`, by action.
    static func fields(of action: APIAction) -> [(String, JSONValue)] {
        switch action {
        case .services, .balance: return []
        case .add: return [("service", property("integer", "Service id from `services`."))]
        case .status: return [("order", property("integer", "One order id.")),
                              ("orders", property("string", "Up to 100 comma-separated order ids."))]
        case .refill: return [("order", property("integer", "One order id.")),
                              ("orders", property("string", "Up to 100 comma-separated order ids."))]
        case .refillStatus: return [("refill", property("integer", "One refill id.")),
                                    ("refills", property("string", "Up to 100 comma-separated refill ids."))]
        case .cancel: return [("orders", property("string", "Up to 100 comma-separated order ids (or one `order`)."))]
        }
    }

    /// The fields `add` reads for a service type, with whether each is required.
    public static func addFields(for type: ServiceType) -> [(name: String, required: Bool, schema: JSONValue)] {
        var fields: [(String, Bool, JSONValue)] = []
        if type.needsLink { fields.append(("link", true, property("string", "Link to the page, post or profile (at most \(OrderLimits.maxLinkLength) characters)."))) }
        if type.takesQuantity { fields.append(("quantity", true, property("integer", "Units to deliver, between the service's min and max."))) }
        if type.supportsDripFeed {
            fields.append(("runs", false, property("integer", "Drip-feed: number of deliveries (service with dripfeed).")))
            fields.append(("interval", false, property("integer", "Drip-feed: minutes between deliveries.")))
        }
        for spec in type.extraFields {
            let schema: JSONValue = switch spec.kind {
            case .lines: property("string", "One item per line (at most \(OrderLimits.maxListLines) lines).")
            case .text: property("string", "At most \(OrderLimits.maxTextFieldLength) characters.")
            case .positiveInteger: property("integer", "A whole number of at least 1.")
            case .nonNegativeInteger: property("integer", "A whole number of at least 0.")
            }
            fields.append((spec.name, spec.required, schema))
        }
        fields.append(("request_id", false, property("string",
            "Idempotency key (at most \(OrderLimits.maxRequestIDLength) characters): a repeat returns the first order.")))
        return fields
    }

    public static func build() -> JSONValue {
        var schemas: [(String, JSONValue)] = []
        var requestRefs: [JSONValue] = []
        for action in APIAction.allCases where action != .add {
            let name = "\(schemaName(action.rawValue))Request"
            schemas.append((name, object(required: ["key", "action"],
                                         common + [("action", .object([("type", .string("string")), ("enum", .array([.string(action.rawValue)]))]))]
                                            + fields(of: action))))
            requestRefs.append(ref(name))
        }
        for type in ServiceType.allCases {
            let name = "Add\(schemaName(type.rawValue))Request"
            let typeFields = addFields(for: type)
            var schema = object(required: ["key", "action", "service"] + typeFields.filter(\.required).map(\.name),
                                common + [("action", .object([("type", .string("string")), ("enum", .array([.string("add")]))]))]
                                    + fields(of: .add) + typeFields.map { ($0.name, $0.schema) })
            if case .object(var members) = schema {
                members.append(("x-service-type", .string(type.rawValue)))
                schema = .object(members)
            }
            schemas.append((name, schema))
            requestRefs.append(ref(name))
        }
        schemas += responseSchemas
        let request: JSONValue = .object([("oneOf", .array(requestRefs))])
        let answers: JSONValue = .object([("oneOf", .array(responseSchemas.map { ref($0.0) }))])
        func response(_ text: String, _ schema: JSONValue, headers: [(String, JSONValue)] = []) -> JSONValue {
            var members: [(String, JSONValue)] = [("description", .string(text)),
                                                  ("content", .object([("application/json", .object([("schema", schema)]))]))]
            if !headers.isEmpty { members.append(("headers", .object(headers))) }
            return .object(members)
        }
        let responses: JSONValue = .object([
            ("200", response("The action's answer, or `{\"error\": …}` for every contract error.", answers)),
            ("405", response("Another HTTP method.", ref("Error"))),
            ("413", response("Body over \(APIRequestLimits.maxBodySize) bytes.", ref("Error"))),
            ("414", response("Query string over \(APIRequestLimits.maxQueryLength) bytes.", ref("Error"))),
            ("429", response("Rate limit: retry after the given seconds.", ref("Error"),
                             headers: [("Retry-After", .object([("schema", .object([("type", .string("integer"))]))]))])),
            ("503", response("The database is unreachable; retry later.", ref("Error"))),
        ])
        let operation = { (summary: String, body: Bool) -> JSONValue in
            var members: [(String, JSONValue)] = [("summary", .string(summary))]
            if body {
                members.append(("requestBody", .object([("required", .bool(true)), ("content", .object([
                    ("application/x-www-form-urlencoded", .object([("schema", request)])),
                    ("application/json", .object([("schema", request)])),
                ]))])))
            } else {
                members.append(("parameters", .array([.object([
                    ("name", .string("fields")), ("in", .string("query")), ("required", .bool(true)), ("style", .string("form")),
                    ("explode", .bool(true)), ("schema", request)])])))
            }
            members.append(("responses", responses))
            return .object(members)
        }
        return .object([
            ("openapi", .string("3.0.3")),
            ("info", .object([("title", .string("SMMPanel API v2")), ("version", .string("2")),
                              ("description", .string("One endpoint; the `action` field picks the operation. Errors are HTTP 200 with `{\"error\": …}`."))])),
            ("paths", .object([("/api/v2", .object([
                ("post", operation("Call an action (form or JSON body; body fields win over query fields).", true)),
                ("get", operation("Call an action with a query string.", false)),
            ]))])),
            ("components", .object([("schemas", .object(schemas))])),
        ])
    }

    /// The answers, by name. Object members are all the keys the API may send.
    static let responseSchemas: [(String, JSONValue)] = {
        let orderStatus: [(String, JSONValue)] = [
            ("charge", .object([("type", .string("string"))])), ("start_count", .object([("type", .string("string"))])),
            ("status", .object([("type", .string("string")), ("enum", .array((OrderStatus.allCases.map { .string($0.rawValue) })))])),
            ("remains", .object([("type", .string("string"))])), ("currency", .object([("type", .string("string"))])),
            ("runs", .object([("type", .string("string"))])), ("expiry", .object([("type", .string("string"))])),
            ("posts", .object([("type", .string("string"))])),
            ("orders", .object([("type", .string("array")), ("items", .object([("type", .string("integer"))]))])),
        ]
        let error: JSONValue = object(required: ["error"], [("error", .object([
            ("type", .string("string")), ("x-messages", .array(errorMessages.map(JSONValue.string)))]))])
        let errorOrInteger: JSONValue = .object([("oneOf", .array([.object([("type", .string("integer"))]), ref("Error")]))])
        return [
            ("Error", error),
            ("ServicesResponse", .object([("type", .string("array")), ("items", object(
                required: ["service", "name", "type", "category", "rate", "min", "max", "refill", "cancel"], [
                    ("service", .object([("type", .string("integer"))])), ("name", .object([("type", .string("string"))])),
                    ("type", .object([("type", .string("string")), ("enum", .array(ServiceType.allCases.map { .string($0.rawValue) }))])),
                    ("category", .object([("type", .string("string"))])), ("rate", .object([("type", .string("string"))])),
                    ("min", .object([("type", .string("string"))])), ("max", .object([("type", .string("string"))])),
                    ("refill", .object([("type", .string("boolean"))])), ("cancel", .object([("type", .string("boolean"))])),
                    ("dripfeed", .object([("type", .string("boolean"))])), ("desc", .object([("type", .string("string"))])),
                ]))])),
            ("AddResponse", object(required: ["order"], [("order", .object([("type", .string("integer"))]))])),
            ("StatusResponse", object(required: ["charge", "start_count", "status", "remains", "currency"], orderStatus)),
            ("MultiStatusResponse", .object([("type", .string("object")), ("description", .string("Keyed by the order id as sent.")),
                                             ("additionalProperties", .object([("oneOf", .array([ref("StatusResponse"), ref("Error")]))]))])),
            ("RefillResponse", object(required: ["refill"], [("refill", .object([("type", .string("string"))]))])),
            ("MultiRefillResponse", .object([("type", .string("array")), ("items", object(required: ["order", "refill"], [
                ("order", .object([("type", .string("integer"))])), ("refill", errorOrInteger)]))])),
            ("RefillStatusResponse", object(required: ["status"], [("status", .object([
                ("type", .string("string")), ("enum", .array(RefillStatus.allCases.map { .string($0.rawValue) }))]))])),
            ("MultiRefillStatusResponse", .object([("type", .string("array")), ("items", object(required: ["refill", "status"], [
                ("refill", .object([("type", .string("integer"))])),
                ("status", .object([("oneOf", .array([.object([("type", .string("string"))]), ref("Error")]))]))]))])),
            ("CancelResponse", .object([("type", .string("array")), ("items", object(required: ["order", "cancel"], [
                ("order", .object([("type", .string("integer"))])), ("cancel", errorOrInteger)]))])),
            ("BalanceResponse", object(required: ["balance", "currency"], [
                ("balance", .object([("type", .string("string"))])), ("currency", .object([("type", .string("string"))]))])),
        ]
    }()

    static func property(_ type: String, _ description: String) -> JSONValue {
        .object([("type", .string(type)), ("description", .string(description))])
    }

    static func object(required: [String], _ properties: [(String, JSONValue)]) -> JSONValue {
        .object([("type", .string("object")), ("required", .array(required.map(JSONValue.string))), ("properties", .object(properties))])
    }

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }

    /// `refill_status` → `RefillStatus`, `Custom Comments` → `CustomComments`.
    static func schemaName(_ label: String) -> String {
        label.split(whereSeparator: { $0 == "_" || $0 == " " }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
