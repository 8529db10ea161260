import Testing
@testable import SMMDomain

@Suite("OrderStatus")
struct OrderStatusTests {
    @Test("wire spellings, Canceled with one L")
    func rawValues() {
        #expect(OrderStatus.allCases.map(\.rawValue) ==
                ["Pending", "In progress", "Processing", "Completed", "Partial", "Canceled", "Active", "Paused", "Expired"])
    }

    @Test("each wire spelling reads back", arguments: OrderStatus.allCases)
    func exactLabels(status: OrderStatus) {
        #expect(OrderStatus(label: status.rawValue) == status)
        #expect(OrderStatus(label: status.rawValue.lowercased()) == status)
        #expect(OrderStatus(label: status.rawValue.uppercased()) == status)
    }

    @Test("upstream spellings", arguments: [
        ("in progress", OrderStatus.inProgress), ("IN PROGRESS", .inProgress), ("inprogress", .inProgress),
        ("in_progress", .inProgress), ("In-Progress", .inProgress), ("InProgress", .inProgress),
        ("Cancelled", .canceled), ("cancelled", .canceled), ("CANCELED", .canceled), ("canceled", .canceled),
        ("completed", .completed), (" completed ", .completed), ("PARTIAL", .partial), ("processing", .processing),
        ("pending", .pending), ("active", .active), ("PAUSED", .paused), ("expired", .expired),
    ] as [(String, OrderStatus)])
    func upstreamLabels(label: String, status: OrderStatus) {
        #expect(OrderStatus(label: label) == status)
    }

    @Test("unknown words are not guessed", arguments: ["", "Unknown", "Refunded", "Done", "Complete", "Cancel", "1", "0", "In", "Error", "Fail"])
    func unknownLabels(label: String) {
        #expect(OrderStatus(label: label) == nil)
    }

    @Test func finalStatuses() {
        #expect(OrderStatus.allCases.filter(\.isFinal) == [.completed, .partial, .canceled, .expired])
    }

    @Test func statusSets() {
        #expect(OrderStatus.orderStatuses == [.pending, .inProgress, .processing, .completed, .partial, .canceled])
        #expect(OrderStatus.subscriptionStatuses == [.active, .paused, .completed, .expired, .canceled])
        #expect(OrderStatus.activeStatuses == [.pending, .inProgress, .processing, .active, .paused])
    }

    @Test("active (occupying a link) is exactly not final")
    func activeIsNotFinal() {
        #expect(Set(OrderStatus.activeStatuses) == Set(OrderStatus.allCases.filter { !$0.isFinal }))
    }

    @Test("every status belongs to orders or subscriptions")
    func coverage() {
        #expect(Set(OrderStatus.orderStatuses).union(OrderStatus.subscriptionStatuses) == Set(OrderStatus.allCases))
        #expect(Set(OrderStatus.orderStatuses).intersection(OrderStatus.subscriptionStatuses) == [.completed, .canceled])
    }
}

@Suite("RefillStatus")
struct RefillStatusTests {
    @Test func rawValues() {
        #expect(RefillStatus.allCases.map(\.rawValue) == ["Pending", "In progress", "Completed", "Rejected", "Canceled"])
    }

    @Test(arguments: [
        ("Pending", RefillStatus.pending), ("pending", .pending), ("In progress", .inProgress), ("in_progress", .inProgress),
        ("inprogress", .inProgress), ("IN-PROGRESS", .inProgress), ("Completed", .completed), ("COMPLETED", .completed),
        ("Rejected", .rejected), ("rejected", .rejected), ("Canceled", .canceled), ("Cancelled", .canceled),
        ("cancelled", .canceled),
    ] as [(String, RefillStatus)])
    func labels(label: String, status: RefillStatus) {
        #expect(RefillStatus(label: label) == status)
    }

    @Test(arguments: ["", "Processing", "Partial", "Active", "Refunded", "Done", "Unknown"])
    func unknownLabels(label: String) {
        #expect(RefillStatus(label: label) == nil)
    }

    @Test func finalAndOpen() {
        #expect(RefillStatus.allCases.filter(\.isFinal) == [.completed, .rejected, .canceled])
        #expect(RefillStatus.openStatuses == [.pending, .inProgress])
        #expect(Set(RefillStatus.openStatuses) == Set(RefillStatus.allCases.filter { !$0.isFinal }))
    }

    static let allowedMoves: Set<String> = [
        "Pending→In progress", "Pending→Completed", "Pending→Rejected", "Pending→Canceled",
        "In progress→Completed", "In progress→Rejected", "In progress→Canceled",
    ]

    @Test("open refills move forward; final ones never change", arguments: RefillStatus.allCases, RefillStatus.allCases)
    func moves(from: RefillStatus, to: RefillStatus) {
        #expect(from.canMove(to: to) == RefillStatusTests.allowedMoves.contains("\(from.rawValue)→\(to.rawValue)"))
        if from.isFinal { #expect(!from.canMove(to: to)) }
        if to == .pending { #expect(!from.canMove(to: to)) }
    }
}
