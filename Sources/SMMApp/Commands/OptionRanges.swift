import ArgumentParser

/// The range of every number an operator can give on the command line. Each is checked before
/// anything runs (ArgumentParser's `validate()`: a clear message, exit code 64), so no later
/// arithmetic (`seconds * 2 + 10`, a `Duration`, an `Int64(…)`) can overflow or trap.
enum OptionRange {
    static let port: ClosedRange<Int> = 0...65_535
    static let poolSize: ClosedRange<Int> = 1...1_000
    /// Seconds between background rounds, status checks and timeouts: up to a day.
    static let seconds: ClosedRange<Int> = 1...86_400
    /// A catalog sync at most every 10 seconds, at least every 30 days.
    static let catalogSeconds: ClosedRange<Int> = 10...2_592_000
    /// Rows a listing shows.
    static let listLimit: ClosedRange<Int> = 1...1_000_000
    /// Requests per second (or per minute) a rate limit allows; 0 turns a rate limit off.
    static let rate: ClosedRange<Double> = 0...1_000_000
    static let burst: ClosedRange<Int> = 1...1_000_000
    static let badKeyBurst: ClosedRange<Int> = 0...1_000_000
    /// Ids of rows, as the database hands them out.
    static let id: ClosedRange<Int64> = 1...Int64.max
    /// Quantities, start counts and remains of orders and services.
    static let quantity: ClosedRange<Int64> = 0...1_000_000_000_000
    static let sort: ClosedRange<Int64> = -1_000_000_000...1_000_000_000
    static let refillDays: ClosedRange<Int> = 0...36_500
}

/// Refuses `value` outside `range`, naming the option; nil (not given) passes.
public func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ option: String) throws {
    guard let value else { return }
    guard range.contains(value) else {
        throw ValidationError("\(option) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
}

/// The background work's timings, shared by `serve` and `worker`.
func checkWorkerTimings(workerInterval: Int, statusRecheck: Int, providerTimeout: Int, catalogInterval: Int) throws {
    try check(workerInterval, OptionRange.seconds, "--worker-interval")
    try check(statusRecheck, OptionRange.seconds, "--status-recheck")
    try check(providerTimeout, OptionRange.seconds, "--provider-timeout")
    try check(catalogInterval, OptionRange.catalogSeconds, "--catalog-interval")
}
