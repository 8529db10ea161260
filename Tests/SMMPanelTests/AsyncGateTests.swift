@testable import SMMStorage
import Synchronization
import Testing

/// The writer's gate: one holder at a time, waiters in arrival order, nobody lost.
@Suite struct AsyncGateTests {
    /// What the tasks saw, shared between them.
    final class Record: Sendable {
        struct State {
            var inside = 0
            var mostInside = 0
            var order: [Int] = []
        }
        let state = Mutex(State())

        func enter(_ index: Int) {
            state.withLock {
                $0.inside += 1
                $0.mostInside = max($0.mostInside, $0.inside)
                $0.order.append(index)
            }
        }
        func leave() { state.withLock { $0.inside -= 1 } }
        var snapshot: State { state.withLock { $0 } }
    }

    @Test func oneHolderAtATimeUnderContention() async {
        let gate = AsyncGate()
        let record = Record()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    await gate.acquire()
                    record.enter(index)
                    await Task.yield()
                    record.leave()
                    gate.release()
                }
            }
        }
        #expect(record.snapshot.order.count == 200)
        #expect(record.snapshot.mostInside == 1)
        #expect(gate.waiting == 0 && !gate.hasWaiters)
        // Free again: taken at once.
        await gate.acquire()
        gate.release()
    }

    @Test func waitersAreServedInArrivalOrder() async {
        let gate = AsyncGate()
        let record = Record()
        await gate.acquire()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask {
                    await gate.acquire()
                    record.enter(index)
                    record.leave()
                    gate.release()
                }
                // The next one queues only after this one did.
                while gate.waiting < index + 1 { await Task.yield() }
            }
            #expect(gate.hasWaiters)
            gate.release()
        }
        #expect(record.snapshot.order == Array(0..<100))
        #expect(!gate.hasWaiters)
    }
}
