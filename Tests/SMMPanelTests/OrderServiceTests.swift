import SMMDomain
import SMMServices
import SMMStorage
import Synchronization
import Testing

/// `OrderService` against an in-memory repository: which rule refuses what, in which order,
/// and that a refused order records nothing. The SQL side of placing (money, the link rule,
/// racing retries) is tested on both engines through the API (`APIContractTests`,
/// `OrderMoneyTests`, `LimitsTests`).
@Suite struct OrderServiceTests {
    /// Services by id (with whether they are on sale), orders by request id, and every
    /// `recordNewOrder` call.
    final class MemoryOrders: OrderPlacementRepository {
        struct State {
            var services: [ServiceID: (ServiceTerms, enabled: Bool)] = [:]
            var byRequestID: [String: Order] = [:]
            var recorded: [NewOrder] = []
        }
        let state = Mutex(State())

        func orderTerms(serviceID: ServiceID, pricedFor userID: UserID) async throws -> (ServiceTerms, enabled: Bool)? {
            state.withLock { $0.services[serviceID] }
        }

        func order(userID: UserID, requestID: String) async throws -> Order? {
            state.withLock { $0.byRequestID[requestID] }
        }

        func recordNewOrder(_ new: NewOrder, userID: UserID, requestID: String?) async throws -> Order {
            state.withLock { state in
                state.recorded.append(new)
                let order = Order(id: OrderID(Int64(state.recorded.count)), userID: userID, serviceID: new.serviceID, type: new.type,
                                  link: new.link, quantity: new.quantity, charge: new.charge, startCount: 0, remains: new.quantity,
                                  status: .pending, fields: new.fields, runsDone: 0, requestID: requestID, createdAt: 0, updatedAt: 0)
                if let requestID { state.byRequestID[requestID] = order }
                return order
            }
        }

        var recorded: [NewOrder] { state.withLock { $0.recorded } }
    }

    let customer = User(id: 7, username: "alice", isAdmin: false, disabled: false, balance: Money(parsing: "100")!, createdAt: 0)

    func repository(enabled: Bool = true) -> MemoryOrders {
        let memory = MemoryOrders()
        memory.state.withLock {
            $0.services[1] = (ServiceTerms(id: 1, type: .default, rate: Money(parsing: "0.90")!, min: 50, max: 10_000), enabled)
        }
        return memory
    }

    @Test func aValidOrderIsRecordedOnceAtTheServicesTerms() async throws {
        let memory = repository()
        let order = try await OrderService(repository: memory).place(
            user: customer, serviceID: 1, fields: ["link": "  https://x.test/1 ", "quantity": "1000"])
        #expect(memory.recorded.count == 1)
        #expect(order.link == "https://x.test/1" && order.quantity == 1000 && order.userID == customer.id)
        #expect(order.charge == Money(parsing: "0.9")!)
    }

    @Test func unknownAndDisabledServicesAreRefusedAsUnknownAndRecordNothing() async throws {
        let service = OrderService(repository: repository(enabled: false))
        await #expect(throws: PanelError.incorrectServiceID) {
            try await service.place(user: customer, serviceID: 2, fields: ["link": "https://x.test", "quantity": "100"])
        }
        await #expect(throws: PanelError.incorrectServiceID) {
            try await service.place(user: customer, serviceID: 1, fields: ["link": "https://x.test", "quantity": "100"])
        }
    }

    @Test func fieldsAreValidatedBeforeAnythingIsRecorded() async throws {
        let memory = repository()
        let service = OrderService(repository: memory)
        await #expect(throws: PanelError.quantityBelowMinimum(50)) {
            try await service.place(user: customer, serviceID: 1, fields: ["link": "https://x.test", "quantity": "10"])
        }
        await #expect(throws: PanelError.incorrectLink) {
            try await service.place(user: customer, serviceID: 1, fields: ["link": "two words", "quantity": "100"])
        }
        #expect(memory.recorded.isEmpty)
    }

    @Test func aRetriedRequestIDGetsTheFirstOrderEvenAfterTheServiceWasDisabled() async throws {
        let memory = repository()
        let service = OrderService(repository: memory)
        let first = try await service.place(user: customer, serviceID: 1, fields: ["link": "https://x.test", "quantity": "100"],
                                            requestID: " retry-1 ")
        memory.state.withLock { $0.services[1]?.enabled = false }
        // Other fields this time: the first order's answer stands, nothing new is recorded.
        let again = try await service.place(user: customer, serviceID: 1, fields: ["quantity": "1"], requestID: "retry-1")
        #expect(again == first)
        #expect(memory.recorded.count == 1)
    }

    @Test(arguments: ["   ", String(repeating: "r", count: OrderLimits.maxRequestIDLength + 1), "a\u{7}b"])
    func aMalformedRequestIDIsRefused(requestID: String) async throws {
        let memory = repository()
        await #expect(throws: PanelError.incorrectField("request_id")) {
            try await OrderService(repository: memory).place(user: customer, serviceID: 1,
                                                             fields: ["link": "https://x.test", "quantity": "100"], requestID: requestID)
        }
        #expect(memory.recorded.isEmpty)
    }
}
