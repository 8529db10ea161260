/// What a customer's cancel does to an order, given where its upstream send stands.
public enum CustomerCancel: Sendable, Equatable {
    /// Refused (`cancelNotAvailable`).
    case refused
    /// Canceled here, with the whole charge back.
    case cancelHere
    /// Asked of the provider; the refund follows its Canceled status.
    case askProvider
    /// Asked of the provider already: nothing changes.
    case askedAlready

    /// `upstream` is nil for an order no provider is involved in.
    public static func route(upstream: UpstreamState?, mayExistUpstream: Bool, cancelState: UpstreamCancelState?) -> CustomerCancel {
        switch upstream {
        case nil, .failed, .closed:
            return .cancelHere
        case .sending:
            // Mid-call: whether the provider has it is unknown for a moment.
            return .refused
        case .held, .queued:
            // An earlier send got no answer: the provider may be delivering it.
            return mayExistUpstream ? .refused : .cancelHere
        case .sent:
            switch cancelState {
            case nil: return .askProvider
            // The provider refused this cancel (or cannot cancel at all): asking again would
            // end the same way.
            case .refused: return .refused
            case .requested, .sending, .accepted: return .askedAlready
            }
        }
    }
}

/// What an operator's final status does to an order a provider has or may have.
public enum OperatorSettlement: Sendable, Equatable {
    /// Applied here.
    case apply
    /// Applied here, and the provider is asked to cancel too (the operator's decision stands).
    case applyAndAskProvider
    /// Refused: the order is being sent right now.
    case refusedWhileSending

    public static func route(to status: OrderStatus, upstream: UpstreamState) -> OperatorSettlement {
        switch upstream {
        // Mid-call the outcome at the provider is unknown: settling now could refund an order
        // the provider is about to deliver.
        case .sending: return .refusedWhileSending
        case .sent where status == .canceled: return .applyAndAskProvider
        default: return .apply
        }
    }
}
