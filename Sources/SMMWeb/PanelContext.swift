import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basic context plus the peer address,
/// which the login rate limit keys on.
public struct PanelContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
