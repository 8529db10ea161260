/// The money rules of the contract (§5), with one written rounding rule:
///
/// - a **charge** rounds **up** to the next minor unit (0.00001), so the panel never sells
///   below its rate;
/// - a **refund** rounds **down**, so the panel never returns more than it took;
/// - what an order keeps is always `charge − refund`, so the two always add up exactly.
///
/// All products are computed in 128-bit width, so no rate × quantity can overflow silently.
public enum Pricing {
    /// `rate × quantity / 1000`, rounded up. `nil` when the result does not fit in Int64.
    public static func perThousandCharge(rate: Money, quantity: Int64) -> Money? {
        guard rate.minorUnits >= 0, quantity >= 0 else { return nil }
        return mulDiv(rate.minorUnits, quantity, 1000, roundingUp: true).map(Money.init(minorUnits:))
    }

    /// The charge of an order of a service of `type`: flat for package types, per thousand
    /// otherwise.
    public static func charge(type: ServiceType, rate: Money, quantity: Int64) -> Money? {
        type.isFlatPrice ? rate : perThousandCharge(rate: rate, quantity: quantity)
    }

    /// The part of `charge` given back when `remains` of `quantity` were not delivered:
    /// `charge × remains / quantity` with `remains` clamped to `0…quantity`, rounded down.
    public static func partialRefund(charge: Money, quantity: Int64, remains: Int64) -> Money {
        guard quantity > 0, charge.minorUnits > 0 else { return .zero }
        let undelivered = min(max(remains, 0), quantity)
        return Money(minorUnits: mulDiv(charge.minorUnits, undelivered, quantity, roundingUp: false) ?? 0)
    }

    /// A price with a percentage markup, rounded up: `cost × (100 + percent) / 100`.
    /// `percent` is itself in minor units of a percent (5 decimals) for exactness.
    public static func markedUp(_ cost: Money, percent: Money) -> Money? {
        let factor = Money.unitsPerWhole * 100 + percent.minorUnits
        guard factor >= 0 else { return nil }
        return mulDiv(cost.minorUnits, factor, Money.unitsPerWhole * 100, roundingUp: true).map(Money.init(minorUnits:))
    }

    /// `a × b / d` for non-negative operands without intermediate overflow.
    static func mulDiv(_ a: Int64, _ b: Int64, _ d: Int64, roundingUp: Bool) -> Int64? {
        precondition(d > 0)
        guard a >= 0, b >= 0 else { return nil }
        let product = UInt64(a).multipliedFullWidth(by: UInt64(b))
        guard product.high < UInt64(d) else { return nil }
        let (quotient, remainder) = UInt64(d).dividingFullWidth(product)
        guard quotient <= UInt64(Int64.max) else { return nil }
        let rounded = roundingUp && remainder > 0 ? quotient + 1 : quotient
        guard rounded <= UInt64(Int64.max) else { return nil }
        return Int64(rounded)
    }
}
