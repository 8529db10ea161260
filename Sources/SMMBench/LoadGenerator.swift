import NIOCore
import NIOHTTP1
import NIOPosix

/// One request of a load: `POST path` with a form body, or `GET path` when the body is nil.
struct LoadRequest: Sendable {
    var path: String
    var body: String?
    var headers: [(name: String, value: String)] = []
}

/// What one scenario measured.
struct LoadResult: Sendable {
    var requests: Int
    var errors: Int
    var seconds: Double
    /// Nanoseconds, sorted.
    var latencies: [UInt64]
    /// Sequence numbers of the requests that succeeded (the bench checks `add`'s durability).
    var succeeded: Int
    /// Body bytes of all answers.
    var bytes = 0

    /// Successful answers per second: an error answer is not throughput.
    var perSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }
    var bytesPerAnswer: Int { requests > 0 ? bytes / requests : 0 }

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
        return Double(latencies[max(0, index)]) / 1_000_000
    }
}

/// A small closed-loop load generator: `connections` keep-alive HTTP/1.1 connections, each
/// sending its next request as soon as the previous answer ends, until the deadline.
/// Runs on NIO's event loops in the bench process (wrk is not on every machine).
enum LoadGenerator {
    /// `make(sequence)` builds each request; sequence numbers are unique across connections.
    /// `isSuccess(status, start)` decides from the status and the answer's first
    /// `LoadHandler.keptBytes` bytes whether it counts as an error.
    static func run(host: String, port: Int, connections: Int, duration: TimeAmount,
                    make: @escaping @Sendable (Int) -> LoadRequest,
                    isSuccess: @escaping @Sendable (HTTPResponseStatus, ByteBuffer) -> Bool) async throws -> LoadResult {
        let group = MultiThreadedEventLoopGroup.singleton
        let start = NIODeadline.now()
        let deadline = start + duration
        var futures: [EventLoopFuture<LoadHandler.Stats>] = []
        for index in 0..<connections {
            let loop = group.next()
            let done = loop.makePromise(of: LoadHandler.Stats.self)
            let bootstrap = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(LoadHandler(
                            host: host, first: index, step: connections, deadline: deadline, make: make,
                            isSuccess: isSuccess, done: done))
                    }
                }
            let connected = bootstrap.connect(host: host, port: port)
            connected.whenFailure { done.fail($0) }
            futures.append(done.futureResult)
        }
        var result = LoadResult(requests: 0, errors: 0, seconds: 0, latencies: [], succeeded: 0)
        for future in futures {
            let stats = try await future.get()
            result.requests += stats.latencies.count
            result.errors += stats.errors
            result.bytes += stats.bytes
            result.latencies += stats.latencies
        }
        result.succeeded = result.requests - result.errors
        result.seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        result.latencies.sort()
        return result
    }
}

/// One connection of the load; lives on its channel's event loop.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Stats: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var bytes = 0
    }

    private let host: String
    private var sequence: Int
    private let step: Int
    private let deadline: NIODeadline
    private let make: @Sendable (Int) -> LoadRequest
    private let isSuccess: @Sendable (HTTPResponseStatus, ByteBuffer) -> Bool
    private let done: EventLoopPromise<Stats>
    private var stats = Stats()
    private var sentAt = NIODeadline.now()
    private var status = HTTPResponseStatus.ok
    /// The answer's first bytes (what `isSuccess` looks at) and its length: not the whole
    /// body, whose copy (234 KB for `services`) would be the load generator's CPU taken from the
    /// server it shares the cores with.
    private var answerStart = ByteBuffer()
    private var bodyBytes = 0
    private var finished = false
    /// Bytes of an answer kept for `isSuccess`.
    static let keptBytes = 64

    init(host: String, first: Int, step: Int, deadline: NIODeadline, make: @escaping @Sendable (Int) -> LoadRequest,
         isSuccess: @escaping @Sendable (HTTPResponseStatus, ByteBuffer) -> Bool, done: EventLoopPromise<Stats>) {
        self.host = host
        self.sequence = first
        self.step = step
        self.deadline = deadline
        self.make = make
        self.isSuccess = isSuccess
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        let request = make(sequence)
        sequence += step
        var head = HTTPRequestHead(version: .http1_1, method: request.body == nil ? .GET : .POST, uri: request.path)
        head.headers.add(name: "Host", value: host)
        for header in request.headers { head.headers.add(name: header.name, value: header.value) }
        var buffer: ByteBuffer?
        if let text = request.body {
            let bytes = context.channel.allocator.buffer(string: text)
            head.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            head.headers.add(name: "Content-Length", value: String(bytes.readableBytes))
            buffer = bytes
        }
        sentAt = .now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let buffer { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            answerStart.clear()
            bodyBytes = 0
        case .body(let part):
            bodyBytes += part.readableBytes
            let wanted = Self.keptBytes - answerStart.readableBytes
            if wanted > 0, let slice = part.getSlice(at: part.readerIndex, length: min(wanted, part.readableBytes)) {
                answerStart.writeImmutableBuffer(slice)
            }
        case .end:
            let now = NIODeadline.now()
            stats.latencies.append(UInt64(max(0, (now - sentAt).nanoseconds)))
            if !isSuccess(status, answerStart) { stats.errors += 1 }
            stats.bytes += bodyBytes
            if now < deadline {
                send(context: context)
            } else {
                finish(context: context)
            }
        }
    }

    private func finish(context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.succeed(stats)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            stats.errors += 1
            done.succeed(stats)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
