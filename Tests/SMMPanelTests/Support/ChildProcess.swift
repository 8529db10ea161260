import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

#if canImport(Glibc)
/// glibc ≥ 2.34; the Swift Glibc module does not export it.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func posix_spawn_file_actions_addclosefrom_np(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
#endif

/// A child process with its stdout and stderr in one pipe, started with `posix_spawn`.
///
/// Why not `Foundation.Process`: on Linux its `run()` lists `/proc/self/fd` to close inherited
/// descriptors and over-reads each directory entry by up to 256 bytes
/// (swift-corelibs-foundation PR #5472). A test process holding ~1,300 descriptors (parallel
/// suites with database pools) then crashes now and then with a bad pointer dereference. Here
/// the child closes every descriptor from 3 up with glibc's `closefrom` file action instead.
final class ChildProcess: Sendable {
    struct SpawnFailed: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "posix_spawn failed: \(String(cString: strerror(code)))" }
    }

    let pid: pid_t
    /// The exit status once reaped (waitpid may reap only once).
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable arguments…` with `input` (up to 64 KiB) on its standard input, else
    /// /dev/null; every chunk of output goes to `onOutput`, and `onOutput` gets nil at end of file.
    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, input: Data? = nil,
         onOutput: @escaping @Sendable (Data?) -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnFailed(code: errno) }
        // Ours only: a child spawned concurrently elsewhere must not hold our write end open.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var inputFDs: [Int32] = [-1, -1]
        if input != nil {
            guard pipe(&inputFDs) == 0 else { throw SpawnFailed(code: errno) }
            _ = fcntl(inputFDs[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(inputFDs[1], F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inputFDs[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        _ = posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable.path, &actions, nil, argv, envp)
        close(fds[1])
        if let input {
            close(inputFDs[0])
            // Fits the pipe's buffer: written whole before the child reads, then end of file.
            if result == 0 { input.withUnsafeBytes { _ = write(inputFDs[1], $0.baseAddress, $0.count) } }
            close(inputFDs[1])
        }
        guard result == 0 else {
            close(fds[0])
            throw SpawnFailed(code: result)
        }
        self.pid = pid
        // A plain thread blocking in read(2) until end of file: independent of the Swift
        // concurrency pool and of run loops, so it cannot be starved or stop early.
        let readEnd = fds[0]
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count > 0 {
                    onOutput(Data(buffer[0..<count]))
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(readEnd)
            onOutput(nil)
        }
        reader.start()
    }

    /// Runs to the end and returns the exit status and all output; waits on a thread of its own.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                    input: Data? = nil) async throws -> (Int32, String) {
        try await onOwnThread { try runBlocking(executable, arguments, environment: environment, input: input) }
    }

    /// The same, blocking the calling thread (for a static initializer, never a task).
    static func runBlocking(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                            input: Data? = nil) throws -> (Int32, String) {
        let collected = Mutex(Data())
        let finished = DispatchSemaphore(value: 0)
        let child = try ChildProcess(executable, arguments, environment: environment, input: input) { chunk in
            if let chunk { collected.withLock { $0.append(chunk) } } else { finished.signal() }
        }
        finished.wait()
        return (child.waitUntilExit(), String(decoding: collected.withLock { $0 }, as: UTF8.self))
    }

    func signal(_ signal: Int32) {
        guard status.withLock({ $0 }) == nil else { return }
        Glibc.kill(pid, signal)
    }

    var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
            status = raw
            return false
        }
    }

    /// The exit code once the child has exited (waits for it otherwise).
    var terminationStatus: Int32 { waitUntilExit() }

    /// Blocks until the child exits; its exit code (or 128 + the signal that ended it). Only
    /// where the wait is known to be short (after SIGKILL); else from `onOwnThread`.
    @discardableResult
    func waitUntilExit() -> Int32 {
        let raw: Int32 = status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status = raw
            return raw
        }
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}

/// Runs blocking work (waiting for a child process, a sleep between tries) on a thread of its
/// own. Swift's cooperative pool has one thread per core: two of them blocked at once on a
/// two-core machine stall every other test's tasks in this process, and their HTTP clients
/// time out together.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
