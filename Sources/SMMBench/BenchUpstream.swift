import Foundation
import Hummingbird
import Logging
import NIOCore
import SMMAPI
import SMMHTTP
import ServiceLifecycle
import Synchronization

/// A provider that answers at once, in this process, for the dispatch and status-sync
/// scenarios: `add` gives the next order id, `status` reports every id asked for as
/// "In progress". It counts the calls it gets per action.
final class BenchUpstream: Sendable {
    let addCalls = Atomic<Int>(0)
    let statusCalls = Atomic<Int>(0)
    let statusIDs = Atomic<Int>(0)
    private let nextOrder = Atomic<Int>(1)
    private let boundPort = Mutex<Int?>(nil)
    private let group = Mutex<ServiceGroup?>(nil)

    var url: String { "http://127.0.0.1:\(boundPort.withLock { $0 } ?? 0)/api/v2" }

    func start() async throws {
        let router = Router()
        router.post("/api/v2") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let fields = (try? APIRequestFields.parse(query: request.uri.query, body: Array(buffer: body),
                                                      contentType: request.headers[.contentType])) ?? [:]
            return Self.json(self.answer(fields))
        }
        var logger = Logger(label: "smmpanel.bench.upstream")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in self.boundPort.withLock { $0 = channel.localAddress?.port } },
                              logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        group.withLock { $0 = services }
        Task { try await services.run() }
        for _ in 0..<400 where boundPort.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// A graceful stop (a cancelled server logs "Already closed" errors on its way out).
    func stop() {
        guard let services = group.withLock({ $0 }) else { return }
        Task { await services.triggerGracefulShutdown() }
    }

    func answer(_ fields: [String: String]) -> String {
        switch fields["action"] {
        case "add":
            addCalls.add(1, ordering: .relaxed)
            return "{\"order\":\(nextOrder.add(1, ordering: .relaxed).oldValue)}"
        case "status":
            statusCalls.add(1, ordering: .relaxed)
            let ids = (fields["orders"] ?? fields["order"] ?? "").split(separator: ",")
            statusIDs.add(ids.count, ordering: .relaxed)
            let entries = ids.map { "\"\($0)\":{\"charge\":\"0.5\",\"start_count\":\"0\",\"status\":\"In progress\",\"remains\":\"1000\",\"currency\":\"USD\"}" }
            return "{" + entries.joined(separator: ",") + "}"
        case "balance":
            return "{\"balance\":\"1000000.00\",\"currency\":\"USD\"}"
        default:
            return "{\"error\":\"Incorrect request\"}"
        }
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
