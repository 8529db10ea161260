import Foundation

/// The panel's notion of "now", in Unix seconds. Behind a protocol so tests can move time
/// (refill windows, drip-feed runs) without sleeping.
public protocol PanelClock: Sendable {
    func now() -> Int64
}

public struct SystemClock: PanelClock {
    public init() {}
    public func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
