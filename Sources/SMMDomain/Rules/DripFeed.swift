/// How a drip-feed's quantity and charge are split over its runs, and how its outcome follows
/// from what they delivered. The money moves on the parent only: a run's charge is a share
/// shown to the customer.
public enum DripFeed {
    /// The quantity each run delivers.
    public static func quantityPerRun(_ parent: Order) -> Int64 {
        parent.quantity / max(parent.runs ?? 1, 1)
    }

    /// The even share of the parent's charge a run shows.
    public static func evenChargeShare(_ parent: Order) -> Money {
        Money(minorUnits: parent.charge.minorUnits / max(parent.runs ?? 1, 1))
    }

    /// The charge shown on run `run` (1-based): the even share, the last run taking the
    /// remainder so the shares add up to the parent's charge.
    public static func chargeShare(_ parent: Order, run: Int64) -> Money {
        let runs = max(parent.runs ?? 1, 1)
        let share = evenChargeShare(parent).minorUnits
        return Money(minorUnits: run == runs ? parent.charge.minorUnits - share * (runs - 1) : share)
    }

    /// When the run after this one is due: `interval` after this start (never a burst of
    /// overdue runs after an outage); nil after the last run.
    public static func nextRun(after run: Int64, of parent: Order, now: Int64) -> Int64? {
        guard let runs = parent.runs, let interval = parent.intervalMinutes, run < runs else { return nil }
        return now + interval * 60
    }

    /// The parent's outcome once every run is final: Completed if all was delivered, Canceled
    /// if nothing was, Partial otherwise (runs never started count as undelivered). Nil while
    /// a run is still open.
    public static func settlement(of parent: Order, runs children: [Order]) -> OrderChange? {
        guard children.allSatisfy(\.status.isFinal) else { return nil }
        var delivered: Int64 = 0
        for child in children where child.status != .canceled {
            delivered += child.quantity - min(max(child.remains, 0), child.quantity)
        }
        let remains = parent.quantity - delivered
        if remains <= 0 { return OrderChange(status: .completed, remains: remains) }
        if delivered == 0 { return OrderChange(status: .canceled) }
        return OrderChange(status: .partial, remains: remains)
    }
}
