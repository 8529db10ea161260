import HummingbirdCore
import NIOHTTPTypes
import NIOCore

/// Closes a connection whose request has not fully arrived within `limit` of its head.
///
/// Hummingbird's idle timeout already closes a connection that sends nothing (or only part of
/// a request head) for its duration, but every body chunk counts as activity, so a client
/// trickling a body a byte at a time would hold a connection forever. This handler sits after
/// the HTTP decoder (`HTTP1Channel.Configuration.additionalChannelHandlers`), one per
/// connection.
///
/// The timer is set only when a read ends with a request still incomplete: an API call's head
/// and body almost always arrive in one read, and scheduling then cancelling a timer for each
/// of them would cost every request (BENCHMARKS.md).
public final class RequestReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    let limit: TimeAmount
    /// When the head of the request still arriving came; nil between requests.
    private var headArrived: NIODeadline?
    private var deadline: Scheduled<Void>?

    public init(limit: TimeAmount) {
        self.limit = limit
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            cancelDeadline()
            headArrived = .now()
        case .end:
            cancelDeadline()
            headArrived = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    /// The end of what the socket had: a request begun and not finished gets its deadline.
    public func channelReadComplete(context: ChannelHandlerContext) {
        if let headArrived, deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: headArrived + limit) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelReadComplete()
    }

    /// How much a connection may have queued to send before its writer waits. NIO's default
    /// (64 KiB) is less than one `services` answer of a 1,000-service catalog (234 KB): each
    /// such answer would make the connection unwritable and writable again, suspending and
    /// resuming the response writer (BENCHMARKS.md). Answers of the
    /// catalog cache are shared buffers, so the limit costs no copies.
    public static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 512 * 1024, high: 1024 * 1024)

    /// Also sets the connection's `writeBufferWaterMark`: this is the one handler of ours on every
    /// connection, and another one would cost a pass per read.
    public func handlerAdded(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}

// Lives on its channel's event loop only.
@available(*, unavailable)
extension RequestReadDeadline: Sendable {}
