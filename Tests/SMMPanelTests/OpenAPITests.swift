import Foundation
import SMMAPI
import SMMDomain
import SMMStorage
import Testing

/// `/api/v2/openapi.json` against what the live API does: the actions it answers, each service
/// type's `add` fields, the error wording and the answer shapes. A change on either side alone
/// fails here.
@Suite struct OpenAPITests {
    typealias Object = [String: Any]

    /// The document as served.
    static func fetch(_ api: LiveAPI) async throws -> Object {
        let answer = try await api.client.execute(uri: "/api/v2/openapi.json", method: .get) { response in
            (response.status.code, response.headers[.contentType], String(buffer: response.body))
        }
        #expect(answer.0 == 200 && answer.1 == "application/json")
        return try #require(parseJSON(answer.2) as? Object)
    }

    static func schemas(_ document: Object) throws -> [String: Object] {
        let components = try #require(document["components"] as? Object)
        return try #require(components["schemas"] as? [String: Object])
    }

    static func properties(_ schema: Object) -> Set<String> { Set((schema["properties"] as? Object)?.keys.map { $0 } ?? []) }
    static func required(_ schema: Object) -> Set<String> { Set(schema["required"] as? [String] ?? []) }

    /// A value the validator accepts for each `add` field (services below take 1…1000).
    static func sample(_ field: String, type: ServiceType) -> String {
        switch field {
        case "link": return "https://openapi.test/\(type.rawValue.replacingOccurrences(of: " ", with: "-"))"
        case "quantity": return "100"
        case "comments", "usernames", "hashtags", "keywords", "groups": return "first\nsecond"
        case "hashtag": return "#tag"
        case "username": return "someone"
        case "media": return "https://openapi.test/media"
        case "answer_number": return "1"
        case "min": return "10"
        case "max": return "20"
        default: return "1"
        }
    }

    @Test(arguments: TestEngine.available)
    func theDocumentDescribesWhatTheAPIDoes(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "1000")
            var services: [ServiceType: Service] = [:]
            for type in ServiceType.allCases { services[type] = try await panel.service(type, rate: "1", min: 1, max: 1000) }
            let services_ = services
            try await panel.live { api in
                let document = try await Self.fetch(api)
                #expect(document["openapi"] as? String == "3.0.3")
                let paths = try #require(document["paths"] as? Object)
                let endpoint = try #require(paths["/api/v2"] as? Object)
                #expect(Set(endpoint.keys) == ["get", "post"])
                let schemas = try Self.schemas(document)

                // Actions: the document's are exactly those the API answers.
                var documented: Set<String> = []
                for (name, schema) in schemas where name.hasSuffix("Request") {
                    let action = try #require((Self.properties(schema).contains("action") ? (schema["properties"] as? Object)?["action"] as? Object : nil))
                    documented.formUnion(action["enum"] as? [String] ?? [])
                    #expect(Self.required(schema).isSuperset(of: ["key", "action"]), "\(name)")
                }
                #expect(documented == Set(APIAction.allCases.map(\.rawValue)))
                for action in documented {
                    let answer = try await api.call([("key", key), ("action", action), ("order", "999"), ("orders", "999"),
                                                     ("refill", "999"), ("refills", "999")])
                    #expect(answer != #"{"error":"Incorrect request"}"#, "documented action \(action) is not answered")
                }
                #expect(try await api.call([("key", key), ("action", "undocumented")]) == #"{"error":"Incorrect request"}"#)

                // add: one schema per service type, naming exactly the fields that type reads.
                let addSchemas = schemas.values.filter { $0["x-service-type"] != nil }
                #expect(Set(addSchemas.compactMap { $0["x-service-type"] as? String }) == Set(ServiceType.allCases.map(\.rawValue)))
                for schema in addSchemas {
                    let type = try #require(ServiceType(rawValue: schema["x-service-type"] as! String))
                    let service = services_[type]!
                    let fields = Self.properties(schema).subtracting(["key", "action", "service"])
                    let required = Self.required(schema).subtracting(["key", "action", "service"])
                    #expect(fields.isSuperset(of: type.extraFields.map(\.name)), "\(type)")
                    #expect(required == Set(type.extraFields.filter(\.required).map(\.name)
                                            + (type.needsLink ? ["link"] : []) + (type.takesQuantity ? ["quantity"] : [])), "\(type)")
                    // The documented required fields are enough to order…
                    let call = [("key", key), ("action", "add"), ("service", "\(service.id)")]
                        + required.sorted().map { ($0, Self.sample($0, type: type)) }
                    let placed = try await api.call(call)
                    #expect(placed.hasPrefix(#"{"order":"#), "\(type) with its documented fields: \(placed)")
                    // …and each one is needed.
                    for field in required.sorted() {
                        let answer = try await api.call(call.filter { $0.0 != field } + [("link", field == "link" ? "" : "https://openapi.test/x-\(field)")]
                            .filter { type.needsLink || $0.0 != "link" })
                        #expect(answer.hasPrefix(#"{"error":"#), "\(type) without \(field): \(answer)")
                    }
                }

                // Errors: every message the API can send is documented (the switch below fails
                // to compile when PanelError gains a case), and every documented one exists.
                let error = try #require(schemas["Error"])
                let errorProperty = try #require((error["properties"] as? Object)?["error"] as? Object)
                let templates = try #require(errorProperty["x-messages"] as? [String])
                #expect(templates == OpenAPIDocument.errorMessages)
                func documentedMessage(_ message: String) -> Bool {
                    templates.contains { template in
                        let parts = template.components(separatedBy: "{")
                        guard parts.count == 2, let tail = parts[1].components(separatedBy: "}").last else { return template == message }
                        return message.hasPrefix(parts[0]) && message.hasSuffix(tail) && message.count > parts[0].count + tail.count
                    }
                }
                var produced: [String] = ["Request too large", "Temporary failure, please retry"]
                for sample in Self.everyPanelError() {
                    guard let message = Self.apiMessage(sample) else { continue }
                    produced.append(message)
                    #expect(documentedMessage(message), "undocumented error: \(message)")
                }
                for template in templates {
                    #expect(produced.contains { template.hasPrefix($0) || $0.hasPrefix(template.components(separatedBy: "{")[0]) },
                            "documented error nobody sends: \(template)")
                }

                // Answers: the keys the API sends are the documented ones.
                func checkObject(_ answer: Any?, _ schemaName: String, _ context: String) throws {
                    let object = try #require(answer as? Object, "\(context): \(String(describing: answer))")
                    var schema = try #require(schemas[schemaName])
                    if schema["type"] as? String == "array" { schema = try #require(schema["items"] as? Object) }
                    #expect(Set(object.keys).isSubset(of: Self.properties(schema)), "\(context) sends undocumented keys \(object.keys)")
                    #expect(Self.required(schema).isSubset(of: Set(object.keys)), "\(context) lacks documented keys")
                }
                let list = try #require(parseJSON(try await api.call([("key", key), ("action", "services")])) as? [Any])
                let item = try #require((schemas["ServicesResponse"]?["items"]) as? Object)
                for entry in list {
                    let object = try #require(entry as? Object)
                    #expect(Set(object.keys).isSubset(of: Self.properties(item)) && Self.required(item).isSubset(of: Set(object.keys)))
                }
                try checkObject(parseJSON(try await api.call([("key", key), ("action", "balance")])), "BalanceResponse", "balance")
                try checkObject(parseJSON(try await api.call([("key", key), ("action", "status"), ("order", "1")])), "StatusResponse", "status")
                try checkObject(parseJSON(try await api.call([("key", key), ("action", "add"), ("service", "\(services_[.default]!.id)"),
                                                              ("link", "https://openapi.test/shape"), ("quantity", "50")])), "AddResponse", "add")
                let refill = try #require(parseJSON(try await api.call([("key", key), ("action", "refill"), ("orders", "1,2")])) as? [Any])
                for entry in refill { try checkObject(entry, "MultiRefillResponse", "refill") }
                let cancel = try #require(parseJSON(try await api.call([("key", key), ("action", "cancel"), ("orders", "1,999")])) as? [Any])
                for entry in cancel { try checkObject(entry, "CancelResponse", "cancel") }
            }
        }
    }

    /// One value of every PanelError case. No `default:` on purpose: a new case must be added.
    static func everyPanelError() -> [PanelError] {
        let all: [PanelError] = [.incorrectRequest, .invalidAPIKey, .incorrectServiceID, .incorrectLink, .quantityBelowMinimum(50),
                                 .quantityAboveMaximum(10_000), .notEnoughFunds, .activeOrderWithLink, .incorrectOrderID,
                                 .refillNotFound, .refillNotAvailable, .cancelNotAvailable, .tooManyIDs, .missingField("comments"),
                                 .incorrectField("quantity"), .dripFeedNotAvailable, .tooManyRequests, .paymentRequestsWaiting(5),
                                 .rejected(.negativeRate)]
        for error in all { _ = apiMessage(error) }
        return all
    }

    /// The message the API sends for an error; nil for operator-only errors.
    static func apiMessage(_ error: PanelError) -> String? {
        switch error {
        case .incorrectRequest, .invalidAPIKey, .incorrectServiceID, .incorrectLink, .quantityBelowMinimum, .quantityAboveMaximum,
             .notEnoughFunds, .activeOrderWithLink, .incorrectOrderID, .refillNotFound, .refillNotAvailable, .cancelNotAvailable,
             .tooManyIDs, .missingField, .incorrectField, .dripFeedNotAvailable, .tooManyRequests:
            return error.message
        case .paymentRequestsWaiting, .rejected:
            return nil
        }
    }
}
