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
public final class RequestReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    let limit: TimeAmount
    private var deadline: Scheduled<Void>?

    public init(limit: TimeAmount) {
        self.limit = limit
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: limit) {
                loopBound.value.close(promise: nil)
            }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

// Lives on its channel's event loop only.
@available(*, unavailable)
extension RequestReadDeadline: Sendable {}
