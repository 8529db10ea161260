import Testing
@testable import SMMDomain

@Suite("Pricing")
struct PricingTests {
    // MARK: charge = rate × quantity / 1000, rounded up

    @Test("per-thousand charge, rounded up to 0.00001", arguments: [
        ("0.90", 157, "0.14130"),       // the contract's example rate
        ("0.90", 1000, "0.90000"),
        ("0.90", 50, "0.04500"),
        ("0.90", 10_000, "9.00000"),
        ("0.90", 1, "0.00090"),
        ("0.00001", 1, "0.00001"),      // 0.00000001 rounds up to one minor unit
        ("0.00001", 999, "0.00001"),
        ("0.00001", 1000, "0.00001"),
        ("0.00001", 1001, "0.00002"),
        ("1.23456", 1234, "1.52345"),   // 1.52344704 → up
        ("0.33333", 7, "0.00234"),      // 0.00233331 → up
        ("12.5", 3, "0.03750"),
        ("8", 0, "0.00000"),
        ("0", 10_000, "0.00000"),
        ("1000", 2_147_483_647, "2147483647.00000"),
    ] as [(String, Int64, String)])
    func perThousand(rate: String, quantity: Int64, charge: String) {
        #expect(Pricing.perThousandCharge(rate: money(rate), quantity: quantity)?.apiString == charge)
    }

    @Test("rounding up: exactly ceil(rate × quantity / 1000) on a grid")
    func perThousandMatchesCeilingOnGrid() {
        for rateUnits: Int64 in [0, 1, 3, 7, 999, 1000, 1001, 27_819, 90_000, 123_456] {
            for quantity: Int64 in 0...1_200 where quantity % 7 == 0 || quantity < 20 || quantity % 1000 == 0 {
                let expected = (rateUnits * quantity + 999) / 1000
                #expect(Pricing.perThousandCharge(rate: Money(minorUnits: rateUnits), quantity: quantity)?.minorUnits == expected,
                        "rate \(rateUnits) × \(quantity)")
            }
        }
    }

    @Test func perThousandNeverSellsBelowRate() {
        // charge × 1000 ≥ rate × quantity, and one minor unit less would be below it.
        for (rate, quantity) in [(90_000 as Int64, 157 as Int64), (1, 1), (33_333, 7), (123_456, 1234)] {
            let charge = Pricing.perThousandCharge(rate: Money(minorUnits: rate), quantity: quantity)!.minorUnits
            #expect(charge * 1000 >= rate * quantity)
            #expect((charge - 1) * 1000 < rate * quantity)
        }
    }

    @Test("negative rate or quantity has no charge")
    func perThousandRejectsNegatives() {
        #expect(Pricing.perThousandCharge(rate: money("-0.90"), quantity: 100) == nil)
        #expect(Pricing.perThousandCharge(rate: money("0.90"), quantity: -1) == nil)
        #expect(Pricing.perThousandCharge(rate: money("-0.00001"), quantity: 0) == nil)
    }

    @Test("128-bit intermediate: a product beyond Int64 still prices exactly")
    func perThousandWideIntermediate() {
        // 10^15 × 10^6 = 10^21 does not fit in Int64, but / 1000 = 10^18 does.
        let charge = Pricing.perThousandCharge(rate: Money(minorUnits: 1_000_000_000_000_000), quantity: 1_000_000)
        #expect(charge?.minorUnits == 1_000_000_000_000_000_000)
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: .max), quantity: 1)?.minorUnits == 9_223_372_036_854_776)
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: .max), quantity: 999)?.minorUnits == 9_214_148_664_817_921_032)
    }

    @Test("overflow gives nil, never a wrapped or trapped value")
    func perThousandOverflow() {
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: .max), quantity: .max) == nil)
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: .max), quantity: 1001) == nil)
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: 1_000_000_000_000_000), quantity: 10_000_000) == nil)
    }

    @Test("a result of exactly Int64.max fits and is returned")
    func perThousandExactlyMax() {
        #expect(Pricing.perThousandCharge(rate: Money(minorUnits: .max), quantity: 1000)?.minorUnits == .max)
    }

    // MARK: charge by type

    @Test("flat types charge the rate itself, whatever the quantity", arguments: [ServiceType.package, .customCommentsPackage])
    func flatCharge(type: ServiceType) {
        #expect(type.isFlatPrice)
        for quantity: Int64 in [0, 1, 3, 1000, 1_000_000] {
            #expect(Pricing.charge(type: type, rate: money("8.00"), quantity: quantity) == money("8"))
        }
    }

    @Test("every other type is charged per thousand",
          arguments: ServiceType.allCases.filter { $0 != .package && $0 != .customCommentsPackage })
    func perThousandByType(type: ServiceType) {
        #expect(Pricing.charge(type: type, rate: money("0.90"), quantity: 157)?.apiString == "0.14130")
        #expect(Pricing.charge(type: type, rate: money("0.90"), quantity: 0) == .zero)
        #expect(Pricing.charge(type: type, rate: Money(minorUnits: .max), quantity: .max) == nil)
    }

    // MARK: refund of a Partial, rounded down

    @Test("partial refund = charge × remains / quantity, rounded down", arguments: [
        (90_000, 1000, 157, 14_130),    // 0.90 for 1000, 157 undelivered → 0.14130 back
        (100, 3, 1, 33),                // 33.33 → down
        (100, 3, 2, 66),                // 66.67 → down
        (100, 3, 3, 100),
        (100, 3, 0, 0),
        (100, 3, -5, 0),                // negative remains (over-delivery) clamps to 0
        (100, 3, 10, 100),              // more than ordered clamps to quantity
        (1, 2, 1, 0),                   // half a minor unit → nothing
        (27_819, 1000, 999, 27_791),    // 27791.181 → down
        (100, 0, 1, 0),                 // no quantity, nothing to refund
        (0, 1000, 500, 0),
        (-100, 1000, 500, 0),
        (Int64.max, Int64.max, Int64.max - 1, Int64.max - 1),
    ] as [(Int64, Int64, Int64, Int64)])
    func partialRefund(charge: Int64, quantity: Int64, remains: Int64, refund: Int64) {
        #expect(Pricing.partialRefund(charge: Money(minorUnits: charge), quantity: quantity, remains: remains).minorUnits == refund)
    }

    @Test("partial refund never exceeds the charge and matches floor() on a grid")
    func partialRefundGrid() {
        for charge: Int64 in [1, 7, 99, 100, 27_819, 90_000] {
            for quantity: Int64 in 1...12 {
                for remains in (-1)...(quantity + 1) {
                    let clamped = Swift.min(Swift.max(remains, 0), quantity)
                    let refund = Pricing.partialRefund(charge: Money(minorUnits: charge), quantity: quantity, remains: remains)
                    #expect(refund.minorUnits == charge * clamped / quantity, "\(charge) \(quantity) \(remains)")
                    #expect(refund.minorUnits >= 0 && refund.minorUnits <= charge)
                }
            }
        }
    }

    // MARK: markup

    @Test("markup = cost × (100 + percent) / 100, rounded up", arguments: [
        ("1", "5", "1.05000"),
        ("0.90", "12.5", "1.01250"),
        ("0.00001", "50", "0.00002"),       // 1.5 minor units → up
        ("0.00003", "-50", "0.00002"),      // 1.5 minor units → up
        ("0.90", "0", "0.90000"),
        ("0.90", "-100", "0.00000"),
        ("0.90", "100", "1.80000"),
        ("0.12345", "0.00001", "0.12346"),  // tiny markup still rounds up
        ("0", "300", "0.00000"),
    ] as [(String, String, String)])
    func markup(cost: String, percent: String, price: String) {
        #expect(Pricing.markedUp(money(cost), percent: money(percent))?.apiString == price)
    }

    @Test func markupRejectsImpossible() {
        #expect(Pricing.markedUp(money("1"), percent: money("-100.00001")) == nil)
        #expect(Pricing.markedUp(money("-1"), percent: money("10")) == nil)
        #expect(Pricing.markedUp(Money(minorUnits: .max), percent: money("1")) == nil)
        #expect(Pricing.markedUp(Money(minorUnits: .max), percent: .zero)?.minorUnits == .max)
    }

    // MARK: mulDiv

    @Test func mulDiv() {
        #expect(Pricing.mulDiv(7, 3, 2, roundingUp: true) == 11)
        #expect(Pricing.mulDiv(7, 3, 2, roundingUp: false) == 10)
        #expect(Pricing.mulDiv(6, 3, 2, roundingUp: true) == 9)
        #expect(Pricing.mulDiv(0, 3, 2, roundingUp: true) == 0)
        #expect(Pricing.mulDiv(-1, 3, 2, roundingUp: true) == nil)
        #expect(Pricing.mulDiv(1, -3, 2, roundingUp: false) == nil)
        #expect(Pricing.mulDiv(.max, .max, .max, roundingUp: false) == .max)
        #expect(Pricing.mulDiv(.max, 1, 1, roundingUp: false) == .max)
        #expect(Pricing.mulDiv(.max, 1, 1, roundingUp: true) == .max)
        #expect(Pricing.mulDiv(.max, 2, 2, roundingUp: true) == .max)
        #expect(Pricing.mulDiv(Int64.max - 1, 3, 3, roundingUp: true) == Int64.max - 1)
        #expect(Pricing.mulDiv(.max, 3, 2, roundingUp: false) == nil)
        #expect(Pricing.mulDiv(.max, 1001, 1000, roundingUp: false) == nil)
        // Quotients past Int64.max, before and after rounding.
        #expect(Pricing.mulDiv(.max, 2, 1, roundingUp: false) == nil)
        #expect(Pricing.mulDiv(Int64.max, 1_000_000_001, 1_000_000_000, roundingUp: true) == nil)
    }
}
