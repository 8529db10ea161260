/// A first-come-first-served async mutex: one holder at a time, waiters resumed in order.
///
/// Guards SQLite's single writer connection, where a second task's statement would otherwise
/// run inside (and roll back with) another task's transaction.
actor AsyncGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the gate straight to the next waiter, so nobody can overtake the queue.
    func release() {
        if head < waiters.count {
            let next = waiters[head]
            head += 1
            if head > 64, head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            next.resume()
        } else {
            waiters.removeAll(keepingCapacity: true)
            head = 0
            held = false
        }
    }

    /// Whether someone is queued behind the holder (group commit keeps a batch open for them).
    var hasWaiters: Bool { head < waiters.count }
    /// How many are queued behind the holder.
    var waiting: Int { waiters.count - head }

    func withGate<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }
}
