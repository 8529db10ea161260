import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basic context plus the peer's address,
/// which the API's rate limits key on.
public struct PanelRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
