import Testing
@testable import SMMDomain

@Suite("CalendarDate")
struct CalendarDateTests {
    @Test func validDate() throws {
        let date = try #require(CalendarDate(year: 2026, month: 12, day: 26))
        #expect(date.year == 2026)
        #expect(date.month == 12)
        #expect(date.day == 26)
        #expect(date.dayMonthYear == "26/12/2026")
    }

    @Test("impossible dates are refused", arguments: [
        (2026, 0, 1), (2026, 13, 1), (2026, 1, 0), (2026, 1, 32), (2026, 4, 31), (2026, 6, 31), (2026, 9, 31),
        (2026, 11, 31), (2023, 2, 29), (2100, 2, 29), (2026, 2, 30), (1969, 12, 31), (10000, 1, 1), (2026, -1, 1),
        (2026, 1, -1), (0, 1, 1),
    ] as [(Int, Int, Int)])
    func invalid(year: Int, month: Int, day: Int) {
        #expect(CalendarDate(year: year, month: month, day: day) == nil)
    }

    @Test("edge dates that exist", arguments: [
        (1970, 1, 1), (9999, 12, 31), (2024, 2, 29), (2000, 2, 29), (2400, 2, 29), (2026, 4, 30), (2026, 1, 31),
        (2026, 3, 31), (2026, 2, 28),
    ] as [(Int, Int, Int)])
    func valid(year: Int, month: Int, day: Int) {
        #expect(CalendarDate(year: year, month: month, day: day) != nil)
    }

    @Test func daysInMonth() {
        #expect((1...12).map { CalendarDate.daysIn(month: $0, year: 2025) } == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        #expect((1...12).map { CalendarDate.daysIn(month: $0, year: 2024) } == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        #expect(CalendarDate.daysIn(month: 2, year: 1900) == 28)
        #expect(CalendarDate.daysIn(month: 2, year: 2000) == 29)
        #expect(CalendarDate.daysIn(month: 2, year: 2100) == 28)
    }

    @Test("d/m/Y with one- or two-digit day and month", arguments: [
        ("26/12/2026", 2026, 12, 26), ("1/1/2026", 2026, 1, 1), ("01/01/2026", 2026, 1, 1), ("5/06/2027", 2027, 6, 5),
        (" 5/6/2027 ", 2027, 6, 5), ("29/2/2028", 2028, 2, 29), ("31/12/9999", 9999, 12, 31), ("1/1/1970", 1970, 1, 1),
    ] as [(String, Int, Int, Int)])
    func parses(text: String, year: Int, month: Int, day: Int) {
        #expect(CalendarDate(dayMonthYear: text) == CalendarDate(year: year, month: month, day: day))
        #expect(CalendarDate(dayMonthYear: text) != nil)
    }

    @Test("anything else is refused", arguments: [
        "", "26/12/26", "26-12-2026", "26.12.2026", "26/12", "26/12/2026/1", "126/12/2026", "26/012/2026",
        "/12/2026", "26//2026", "26/12/", "aa/12/2026", "+1/12/2026", "-1/12/2026", "31/04/2026", "29/02/2027",
        "00/01/2026", "1/00/2026", "1/1/02026", "2026/12/26", "12/26/2026", "1 /1/2026", "1/1/2026 12:00",
        "1/1/1969", "1\u{20E3}/1/2026", "١/1/2026",
    ])
    func rejects(text: String) {
        #expect(CalendarDate(dayMonthYear: text) == nil)
    }

    @Test("formatted as dd/mm/yyyy and read back", arguments: [
        ("5/1/2027", "05/01/2027"), ("26/12/2026", "26/12/2026"), ("1/10/1970", "01/10/1970"), ("10/1/2030", "10/01/2030"),
    ] as [(String, String)])
    func formatting(text: String, formatted: String) throws {
        let date = try #require(CalendarDate(dayMonthYear: text))
        #expect(date.dayMonthYear == formatted)
        #expect(CalendarDate(dayMonthYear: formatted) == date)
    }

    @Test func ordering() throws {
        let a = try #require(CalendarDate(year: 2026, month: 12, day: 31))
        let b = try #require(CalendarDate(year: 2027, month: 1, day: 1))
        let c = try #require(CalendarDate(year: 2027, month: 1, day: 2))
        let d = try #require(CalendarDate(year: 2027, month: 2, day: 1))
        #expect(a < b && b < c && c < d)
        #expect(!(b < a))
        #expect(!(b < b))
        #expect([d, b, c, a].sorted() == [a, b, c, d])
        #expect(CalendarDate(year: 2027, month: 1, day: 1) == b)
        #expect(Set([a, b, CalendarDate(dayMonthYear: "1/1/2027")!]).count == 2)
    }
}
