import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// bcrypt, off the event loops and with a bounded queue.
///
/// bcrypt is deliberately slow, so it runs on threads of its own: the shared blocking pool (as
/// many threads as cores) carries every SQLite call, and a burst of logins there would stall
/// the whole panel's database work. Computations beyond `queueLimit` (running or waiting) are
/// refused at once with `Busy` (the page answers 429): a flood of logins, for names that exist
/// or not, can delay a real one by at most `queueLimit` computations shared over the threads,
/// never without bound.
public final class PasswordHasher: Sendable {
    /// One thread per two cores, eight computations admitted per thread: at cost 12 (about a
    /// quarter of a second each) a login waits at most a couple of seconds for its turn.
    public static let shared = PasswordHasher(threads: max(1, System.coreCount / 2), queueLimit: 8 * max(1, System.coreCount / 2))

    /// Thrown instead of queueing when `queueLimit` computations are already admitted.
    public struct Busy: Error {}

    public let queueLimit: Int
    /// Lives as long as the hasher; the shared one as long as the process, like NIO's own pool.
    private let pool: NIOThreadPool
    private let admitted = Atomic<Int>(0)
    private let done = Atomic<Int>(0)

    public init(threads: Int, queueLimit: Int) {
        self.queueLimit = max(1, queueLimit)
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// bcrypt computations finished so far (tests count them: a refused attempt costs none).
    public var computations: Int { done.load(ordering: .relaxed) }

    /// Whether a computation would be admitted now (a hint: a caller checks it before writing
    /// anything for an attempt, and may still get `Busy` from a race).
    public var hasRoom: Bool { admitted.load(ordering: .relaxed) < queueLimit }

    public func hash(_ password: String, cost: UInt8) async throws -> String {
        try await run { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        guard admitted.add(1, ordering: .acquiringAndReleasing).newValue <= queueLimit else {
            admitted.subtract(1, ordering: .acquiringAndReleasing)
            throw Busy()
        }
        defer { admitted.subtract(1, ordering: .acquiringAndReleasing) }
        let result = try await pool.runIfActive(work)
        done.add(1, ordering: .relaxed)
        return result
    }
}
