import ArgumentParser
import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import SMMApp
import SMMDomain
import SMMProviders
import SMMStorage
import Synchronization

@main
enum BenchMain {
    static func main() async {
        PanelLogHandler.bootstrap()
        await Bench.main()
    }
}

/// `smmpanel-bench` (also run as `smmpanel bench`): starts `smmpanel serve` on loopback over a
/// freshly seeded SQLite database, drives it with concurrent keep-alive clients and prints one
/// line per scenario, with the ratio to `GET /health` (no database) measured on the same server
/// right before it.
///
/// Run it from a release build: see BENCHMARKS.md.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smmpanel-bench",
        abstract: "Measure the API against a no-database baseline in the same run (use a release build).")

    @Option(help: "Concurrent keep-alive connections.") var connections: Int = 32
    @Option(help: "Seconds per scenario.") var duration: Int = 5
    @Option(help: "Seconds of warm-up before each scenario (not counted).") var warmup: Int = 1
    @Option(help: "Rounds of (baseline, scenario) per scenario; the median round's ratio is shown.") var rounds: Int = 3
    @Option(help: "Services in the catalog.") var services: Int = 1_000
    @Option(help: "Orders in the large database (0 skips the large run).") var orders: Int = 1_000_000
    @Option(help: "Customers in the large database.") var customers: Int = 10_000
    @Option(help: "Orders sent in the dispatch scenario (0 skips it).") var dispatchOrders: Int = 5_000
    @Option(help: "Active orders in the status-sync scenario (0 skips it).") var syncOrders: Int = 100_000
    @Option(help: "Only these scenarios, comma-separated (health always runs: it is the baseline).") var only: String?
    @Option(help: "Directory for the databases (default: a fresh temporary one, removed afterwards).") var directory: String?
    @Option(help: "Server binary (default: the smmpanel next to this executable).") var server: String?
    @Option(help: "Record a CPU profile of the server during each measured scenario into this directory (`perf record -g -p`; read with `perf report -i DIR/SCENARIO.perf --no-children`).")
    var perf: String?

    func validate() throws {
        try check(connections, 1...10_000, "--connections")
        try check(duration, 1...3_600, "--duration")
        try check(warmup, 0...3_600, "--warmup")
        try check(rounds, 1...100, "--rounds")
        try check(services, 1...1_000_000, "--services")
        try check(orders, 0...100_000_000, "--orders")
        try check(customers, 1...10_000_000, "--customers")
        try check(dispatchOrders, 0...10_000_000, "--dispatch-orders")
        try check(syncOrders, 0...10_000_000, "--sync-orders")
    }

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; build smmpanel and smmpanel-bench with `-c release` for real figures (BENCHMARKS.md)")
        #endif
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("smmpanel-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let binary = try server ?? Self.siblingServer()

        print("smmpanel bench: \(connections) connections, \(duration) s per scenario, \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(binary)")
        print(BenchLine.header)
        var failures = try await runPhase(name: "", path: dir + "/small.sqlite", binary: binary, customers: 1, orders: 1_000, withAdd: true)
        // Each on its own database: status sync then counts exactly its own orders, not the
        // dispatched ones too.
        if dispatchOrders > 0 {
            try await runUpstreamPhase(path: dir + "/dispatch.sqlite", dispatch: dispatchOrders, sync: 0)
        }
        if syncOrders > 0 {
            try await runUpstreamPhase(path: dir + "/sync.sqlite", dispatch: 0, sync: syncOrders)
        }
        if orders > 0 {
            failures += try await runPhase(name: "@\(orders / 1000)k", path: dir + "/large.sqlite", binary: binary, customers: customers,
                               orders: orders, withAdd: false)
        }
        if !failures.isEmpty {
            throw ValidationError("figures are not valid, the server answered errors: " + failures.joined(separator: "; "))
        }
    }

    /// Returns the scenarios that got error answers (their figures are not valid).
    func runPhase(name: String, path: String, binary: String, customers: Int, orders: Int, withAdd: Bool) async throws -> [String] {
        var logger = Logger(label: "smmpanel.bench")
        logger.logLevel = .warning
        let seedStart = ContinuousClock.now
        let configuration = PanelConfiguration(database: .sqliteFile(path), runWorkers: false)
        let seeded = try await withStore(configuration, logger: logger) { store in
            try await BenchData.seed(store, services: services, customers: customers, orders: orders)
        }
        print("# database\(name.isEmpty ? "" : " " + name): \(services) services, \(customers) customers, \(orders) orders, seeded in \(ContinuousClock.now - seedStart)")

        let child = try await BenchServer.start(binary: binary, database: path)
        defer { child.stop() }
        let key = seeded.apiKey
        let ids = seeded.orderIDs
        let tag = UUID().uuidString.prefix(8)
        // Requests that never change are written once: building the 100-id list for each
        // request would be load-generator CPU taken from the server it shares the cores with.
        let healthRequest = LoadRequest(path: "/health", body: nil)
        let balanceRequest = LoadRequest(path: "/api/v2", body: "key=\(key)&action=balance")
        let status100Request = LoadRequest(path: "/api/v2", body: "key=\(key)&action=status&orders=\(ids.map(String.init).joined(separator: "%2C"))")
        let servicesRequest = LoadRequest(path: "/api/v2", body: "key=\(key)&action=services")
        // The same answer to a client that accepts gzip (curl --compressed, most HTTP libraries).
        let servicesGzipRequest = LoadRequest(path: "/api/v2", body: "key=\(key)&action=services", headers: [("Accept-Encoding", "gzip")])
        var scenarios: [(String, @Sendable (Int) -> LoadRequest)] = [
            ("health" + name, { _ in healthRequest }),
            ("balance" + name, { _ in balanceRequest }),
            ("status" + name, { seq in LoadRequest(path: "/api/v2", body: "key=\(key)&action=status&order=\(ids[seq % ids.count])") }),
            ("status100" + name, { _ in status100Request }),
            ("services" + name, { _ in servicesRequest }),
            ("services-gzip" + name, { _ in servicesGzipRequest }),
        ]
        if withAdd {
            let service = seeded.serviceID
            scenarios.append(("add" + name, { seq in
                LoadRequest(path: "/api/v2", body: "key=\(key)&action=add&service=\(service)&quantity=100&link=https%3A%2F%2Fbench.test%2F\(tag)%2F\(seq)")
            }))
        }
        if let only {
            let wanted = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } + ["health"])
            scenarios = scenarios.filter { wanted.contains(String($0.0.prefix { $0 != "@" })) }
        }
        var acknowledgedAdds = 0
        var failures: [String] = []
        let health = scenarios[0].1
        let port = child.port
        let connections = self.connections
        func run(_ seconds: Int, _ make: @escaping @Sendable (Int) -> LoadRequest,
                 isSuccess: @escaping @Sendable (HTTPResponseStatus, ByteBuffer) -> Bool = Self.isSuccess) async throws -> LoadResult {
            try await LoadGenerator.run(host: "127.0.0.1", port: port, connections: connections,
                                        duration: .seconds(Int64(seconds)), make: make, isSuccess: isSuccess)
        }
        for (index, (label, make)) in scenarios.enumerated() {
            let isSuccess = label.hasPrefix("services-gzip") ? Self.isGzip : Self.isSuccess
            let isAdd = label.hasPrefix("add")
            // `add` warms up on links of its own so the measured runs' links stay fresh.
            if warmup > 0 {
                let request: @Sendable (Int) -> LoadRequest = isAdd ? Self.shifted(make, by: 1_000_000_000) : make
                let warm = try await run(warmup, request, isSuccess: isSuccess)
                if isAdd { acknowledgedAdds += warm.succeeded }
            }
            child.resetPeakMemory()
            if index == 0 {
                let before = child.cpuReading()
                let result = try await run(duration, make)
                let cost = CPUCost(before, child.cpuReading(), result)
                print(BenchLine(label: label, result: result, baseline: result.perSecond, ratio: 1, peakKB: child.peakMemoryKB(),
                                cost: cost, baselineCost: cost).text)
                continue
            }
            // Rounds of (baseline, scenario) back to back; the ratio is the median round's.
            // These shared machines drift by a third within a minute, so a ratio is only
            // meaningful against a baseline measured next to it.
            var rounds: [(ratio: Double, baseline: Double, result: LoadResult, cost: CPUCost?, baselineCost: CPUCost?)] = []
            let commitsBefore = isAdd ? await child.commitCounters() : nil
            for round in 0..<max(1, self.rounds) {
                let cpuBefore = child.cpuReading()
                let baselineResult = try await run(duration, health)
                let baseline = baselineResult.perSecond
                let cpuBetween = child.cpuReading()
                var profiler: pid_t?
                if round == 0, let directory = perf {
                    profiler = try Profiler.start(pid: child.process.processIdentifier, seconds: duration, output: "\(directory)/\(label).perf")
                }
                let offset = round * 100_000_000
                let request: @Sendable (Int) -> LoadRequest = isAdd ? Self.shifted(make, by: offset) : make
                let result = try await run(duration, request, isSuccess: isSuccess)
                let cpuAfter = child.cpuReading()
                profiler.map(Profiler.finish)
                if isAdd { acknowledgedAdds += result.succeeded }
                if result.errors > 0 { failures.append("\(label): \(result.errors) error answers") }
                rounds.append((result.perSecond / max(baseline, 1), baseline, result,
                               CPUCost(cpuBetween, cpuAfter, result), CPUCost(cpuBefore, cpuBetween, baselineResult)))
            }
            let median = rounds.sorted { $0.ratio < $1.ratio }[rounds.count / 2]
            var shown = median.result
            shown.errors = rounds.reduce(0) { $0 + $1.result.errors }
            print(BenchLine(label: label, result: shown, baseline: median.baseline, ratio: median.ratio,
                            peakKB: child.peakMemoryKB(), cost: median.cost, baselineCost: median.baselineCost).text)
            if label.hasPrefix("services") { print("# \(label): \(shown.bytesPerAnswer) bytes per answer") }
            if let before = commitsBefore, let after = await child.commitCounters(), after.commits > before.commits {
                // The rounds' `/health` requests write nothing: these are the scenario's.
                let (commits, transactions) = (after.commits - before.commits, after.transactions - before.transactions)
                print("# \(label): \(transactions) transactions in \(commits) COMMITs, "
                      + String(format: "%.1f", Double(transactions) / Double(commits)) + " per COMMIT")
            }
        }
        child.stop()
        if withAdd, acknowledgedAdds > 0 {
            // Every acknowledged order must be in the database after the server is gone.
            let stored = try await withStore(configuration, logger: logger) { store in
                try await store.orderCount()
            }
            let seededOrders = Int64(orders)
            print("# add durability: \(acknowledgedAdds) orders acknowledged, \(stored - seededOrders) in the database after the server stopped")
            if stored - seededOrders < acknowledgedAdds { throw ValidationError("acknowledged orders are missing") }
        }
        return failures
    }

    /// Dispatch and status sync, in this process: the engine against `BenchUpstream`.
    func runUpstreamPhase(path: String, dispatch dispatchOrders: Int, sync syncOrders: Int) async throws {
        var logger = Logger(label: "smmpanel.bench")
        logger.logLevel = .warning
        let upstream = BenchUpstream()
        try await upstream.start()
        defer { upstream.stop() }
        var configuration = PanelConfiguration(database: .sqliteFile(path), runWorkers: false)
        configuration.providerTimeout = .seconds(30)
        try await withStore(configuration, logger: logger) { store in
            let seeded = try await BenchData.seed(store, services: 1, customers: 1, orders: 0)
            let provider = try await store.createProvider(try NewProvider(name: "bench-upstream", url: upstream.url, apiKey: "bench",
                                                                          honorsRequestID: true, allowHTTP: true, allowPrivateAddress: true))
            try await BenchData.seedUpstream(store, userID: seeded.userID, providerID: provider.id,
                                             queued: dispatchOrders, sent: syncOrders)
            let engine = makeEngine(store: store, configuration: configuration, logger: logger)
            let memory = ProcessMemory()
            let commits = CommitCounter(store: store)
            if dispatchOrders > 0 {
                memory.reset()
                let start = ContinuousClock.now
                var sent = 0
                while true {
                    let claimed = try await engine.dispatchRound()
                    if claimed == 0 { break }
                    sent += claimed
                }
                let seconds = Self.seconds(ContinuousClock.now - start)
                print(Self.line("dispatch (in-process)", String(format: "%.0f orders/s", Double(sent) / seconds)
                    + ", \(sent) orders in " + String(format: "%.1f s", seconds)
                    + ", \(upstream.addCalls.load(ordering: .relaxed)) add calls, \(commits.delta()), peak RSS \(memory.peakText)"))
            }
            if syncOrders > 0 {
                memory.reset()
                let start = ContinuousClock.now
                // Sent orders are due at once (never checked); one round checks them all.
                let calls = try await engine.statusRound()
                let seconds = Self.seconds(ContinuousClock.now - start)
                print(Self.line("status sync (in-process)", "\(syncOrders) orders in " + String(format: "%.1f s", seconds)
                    + ", \(calls) status calls for \(upstream.statusIDs.load(ordering: .relaxed)) ids (floor \((upstream.statusIDs.load(ordering: .relaxed) + 99) / 100))"
                    + ", \(commits.delta()), peak RSS \(memory.peakText)"))
            }
        }
    }

    struct ServerMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "no smmpanel executable at \(path): build it (`swift build --product smmpanel`) or give --server PATH" }
    }

    /// The `smmpanel` built beside this executable (SwiftPM puts every product in one directory).
    static func siblingServer() throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("smmpanel").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw ServerMissing(path: path) }
        return path
    }

    /// The same requests with other sequence numbers (`add` needs fresh links in every run).
    static func shifted(_ make: @escaping @Sendable (Int) -> LoadRequest, by offset: Int) -> @Sendable (Int) -> LoadRequest {
        { make($0 + offset) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func line(_ label: String, _ text: String) -> String { BenchLine.pad(label, 26) + text }

    /// A gzip answer (its magic bytes; an error answer is never compressed). Not decompressed
    /// here: that would take the client's CPU from the server it shares the machine with.
    @Sendable static func isGzip(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> Bool {
        status == .ok && body.getBytes(at: body.readerIndex, length: min(body.readableBytes, 2)) == [0x1f, 0x8b]
    }

    @Sendable static func isSuccess(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> Bool {
        guard status == .ok else { return false }
        // An API error answer is `{"error":"…"}` (HTTP 200 by contract).
        return body.getString(at: body.readerIndex, length: min(body.readableBytes, 9)) != "{\"error\":"
    }
}

/// CPU seconds used so far by the server and by the load generator.
struct CPUReading {
    var server: Double?
    var client: Double?
}

/// CPU µs per answer between two readings, for the server and for the load generator.
struct CPUCost {
    var server: Double?
    var client: Double?

    init(_ before: CPUReading, _ after: CPUReading, _ result: LoadResult) {
        func micros(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after, result.requests > 0 else { return nil }
            return (after - before) * 1e6 / Double(result.requests)
        }
        server = micros(before.server, after.server)
        client = micros(before.client, after.client)
    }

    var total: Double? {
        guard let server, let client else { return nil }
        return server + client
    }
}

/// One printed line.
struct BenchLine {
    static let header = pad("scenario", 22) + pad("req/s", 10, right: true) + pad("p50 ms", 9, right: true)
        + pad("p99 ms", 9, right: true) + pad("baseline", 10, right: true) + pad("ratio", 8, right: true) + pad("errors", 8, right: true) + pad("peak RSS", 11, right: true)
        + pad("cpu µs", 9, right: true) + pad("base µs", 9, right: true) + pad("client µs", 11, right: true)
        + pad("base cl", 9, right: true) + pad("ceiling", 9, right: true)
    let label: String
    let result: LoadResult
    let baseline: Double
    let ratio: Double
    let peakKB: Int?
    /// CPU time per answer in this scenario and in its baseline round: the work each answer
    /// costs the server and the load generator, whatever the machine's speed or idle time.
    let cost: CPUCost?
    let baselineCost: CPUCost?

    var text: String {
        let memory = peakKB.map { String(format: "%.1f MB", Double($0) / 1024) } ?? "?"
        return Self.pad(label, 22) + Self.pad(String(format: "%.0f", result.perSecond), 10, right: true)
            + Self.pad(String(format: "%.2f", result.percentile(0.50)), 9, right: true)
            + Self.pad(String(format: "%.2f", result.percentile(0.99)), 9, right: true)
            + Self.pad(String(format: "%.0f", baseline), 10, right: true)
            + Self.pad(String(format: "%.3f", ratio), 8, right: true) + Self.pad(String(result.errors), 8, right: true)
            + Self.pad(memory, 11, right: true)
            + Self.pad(Self.micros(cost?.server), 9, right: true) + Self.pad(Self.micros(baselineCost?.server), 9, right: true)
            + Self.pad(Self.micros(cost?.client), 11, right: true) + Self.pad(Self.micros(baselineCost?.client), 9, right: true)
            + Self.pad(ceiling.map { String(format: "%.3f", $0) } ?? "?", 9, right: true)
    }

    /// The ratio this scenario would have if it and its baseline both kept every core busy:
    /// the baseline's CPU per answer (server and load generator, which share the cores) over
    /// the scenario's. A ratio below it is time the cores sat idle (or ran something else)
    /// during the scenario; a target above it cannot be met without cheaper answers.
    var ceiling: Double? {
        guard let cost, let baselineCost, let scenario = cost.total, let base = baselineCost.total, scenario > 0 else { return nil }
        return base / scenario
    }

    static func micros(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "?" }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

/// `perf record` attached to the server for one scenario (attaching, unlike running the server
/// under perf, survives the server being stopped with SIGTERM).
enum Profiler {
    struct SpawnFailed: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "could not start perf: \(String(cString: strerror(code)))" }
    }

    /// Starts `perf record` for `seconds`; returns its pid (wait with `finish`).
    static func start(pid: Int32, seconds: Int, output: String) throws -> pid_t {
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let arguments = ["timeout", "-s", "INT", String(seconds), "perf", "record", "-q", "-F", "999", "-g",
                         "-p", String(pid), "-o", output]
        // posix_spawn with an empty signal mask: Foundation's `Process` passes on this thread's
        // blocked signals, and perf then never sees timeout's SIGINT (it spins at 200 % CPU).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let code = posix_spawnp(&child, "timeout", nil, &attributes, argv, environ)
        guard code == 0 else { throw SpawnFailed(code: code) }
        return child
    }

    static func finish(_ child: pid_t) {
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
    }
}

/// Write transactions and the COMMITs (fsyncs) they shared since the last call: how well group
/// commit batches a phase.
final class CommitCounter {
    let store: PanelStore
    private var last: (commits: Int, transactions: Int)

    init(store: PanelStore) {
        self.store = store
        last = store.commitCounts ?? (0, 0)
    }

    func delta() -> String {
        guard let now = store.commitCounts else { return "commits not counted" }
        defer { last = now }
        return "\(now.transactions - last.transactions) transactions in \(now.commits - last.commits) commits"
    }
}

/// Peak resident memory of this process (for the in-process scenarios).
struct ProcessMemory {
    func reset() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
    var peakText: String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) else { return "?" }
        return String(format: "%.1f MB", Double(kb) / 1024)
    }
}

/// The server under test: `serve --no-workers` on a port the OS picks.
final class BenchServer: Sendable {
    let process: Process
    let port: Int
    /// The server serves `/metrics` to this bearer only (random per run).
    let metricsToken: String

    private init(process: Process, port: Int, metricsToken: String) {
        self.process = process
        self.port = port
        self.metricsToken = metricsToken
    }

    struct NeverListened: Error, CustomStringConvertible {
        let output: String
        var description: String { "the server never logged its port; output: \(output)" }
    }

    static func start(binary: String, database: String) async throws -> BenchServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // Rate limits off: the bench measures the API's work; one key from one address would
        // otherwise be answered 429 after its burst.
        process.arguments = ["serve", "--no-workers", "--port", "0", "--database", database, "--log-level", "info",
                             "--ip-rate", "0", "--key-rate", "0"]
        let metricsToken = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        process.environment = ProcessInfo.processInfo.environment.merging(["SMMPANEL_METRICS_TOKEN": metricsToken]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = Mutex("")
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        for _ in 0..<1200 {
            let text = output.withLock { $0 }
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") }),
               let port = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) {
                return BenchServer(process: process, port: port, metricsToken: metricsToken)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw NeverListened(output: output.withLock { $0 })
    }

    /// Resets the kernel's peak-RSS mark (`VmHWM`), so each scenario reports its own peak.
    func resetPeakMemory() {
        try? "5".write(toFile: "/proc/\(process.processIdentifier)/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Peak resident memory since the last reset, in KiB (`VmHWM` of /proc/PID/status).
    func peakMemoryKB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
    }

    /// CPU time used so far by the server and by this process (the load generator, the only
    /// thing this process runs while a scenario is measured).
    func cpuReading() -> CPUReading {
        CPUReading(server: Self.cpuSeconds(process: String(process.processIdentifier)), client: Self.cpuSeconds(process: "self"))
    }

    /// CPU time a process has used so far, all threads, user and system (`/proc/PID/stat`).
    static func cpuSeconds(process: String) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The server's group-commit counters from its `/metrics` (SQLite only; nil otherwise).
    func commitCounters() async -> (commits: Int, transactions: Int)? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(metricsToken)")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
              let body = try? await response.body.collect(upTo: 16 << 20) else { return nil }
        let lines = String(buffer: body).split(separator: "\n")
        func value(_ name: String) -> Int? {
            lines.first { $0.hasPrefix(name + " ") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) }
        }
        guard let commits = value(SQLiteCommitMetrics.commitsName), let transactions = value(SQLiteCommitMetrics.transactionsName) else {
            return nil
        }
        return (commits, transactions)
    }

    /// SIGTERM and wait (idempotent).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
