import Synchronization

/// A first-come-first-served async mutex: one holder at a time, waiters resumed in order.
///
/// Guards SQLite's single writer connection, where a second task's statement would otherwise
/// run inside (and roll back with) another task's transaction.
///
/// A lock, not an actor: only `acquire` may suspend (when the gate is held); `release` and the
/// queue's length are synchronous, so the writer's holder asks them without an executor hop.
/// (As an actor, every transaction paid three hops: acquire, "anyone queued?", release.)
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0

        var queued: Int { waiters.count - head }

        mutating func takeIfFree() -> Bool {
            if held { return false }
            held = true
            return true
        }
    }
    private let state = Mutex(State())

    func acquire() async {
        if state.withLock({ $0.takeIfFree() }) { return }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            // Freed between the two locks: take it now rather than wait for a release that
            // already happened.
            let taken = state.withLock { state -> Bool in
                if state.takeIfFree() { return true }
                state.waiters.append(waiter)
                return false
            }
            if taken { waiter.resume() }
        }
    }

    /// Hands the gate straight to the next waiter, so nobody can overtake the queue.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.head < state.waiters.count else {
                state.waiters.removeAll(keepingCapacity: true)
                state.head = 0
                state.held = false
                return nil
            }
            let next = state.waiters[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.waiters.count {
                state.waiters.removeFirst(state.head)
                state.head = 0
            }
            return next
        }
        next?.resume()
    }

    /// Whether someone is queued behind the holder (group commit keeps a batch open for them).
    var hasWaiters: Bool { state.withLock { $0.queued > 0 } }
    /// How many are queued behind the holder.
    var waiting: Int { state.withLock { $0.queued } }
}
