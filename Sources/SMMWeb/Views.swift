import Foundation
import Hummingbird
import Mustache
import SMMDomain
import SMMStorage

/// The bundled templates, strings tables and static files, loaded once per process.
struct Views: Sendable {
    let library: MustacheLibrary
    let translations: Translations
    /// `/static/<name>` → content type and bytes.
    let staticFiles: [String: (contentType: String, body: ByteBuffer)]

    /// Templates and strings are part of the build, not configuration: a broken one is a
    /// programming error that the page tests catch, so loading stops the process loudly.
    static let bundled: Views = {
        do {
            return try load(from: resourceDirectory)
        } catch {
            fatalError("SMMWeb resources cannot be loaded from \(resourceDirectory.path): \(error)")
        }
    }()

    /// The copied `Resources` folder. Foundation on Linux already reports that folder as the
    /// bundle's resource URL, Darwin reports the bundle: look in both places.
    static var resourceDirectory: URL {
        let candidates = [Bundle.module.resourceURL, Bundle.module.resourceURL?.appendingPathComponent("Resources"),
                          Bundle.module.bundleURL.appendingPathComponent("Resources")].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("templates").path) }
            ?? candidates[0]
    }

    static func load(from directory: URL) throws -> Views {
        var library = MustacheLibrary()
        let templates = directory.appendingPathComponent("templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            library.register(try MustacheTemplate(string: text), named: String(file.dropLast(".mustache".count)))
        }
        var files: [String: (String, ByteBuffer)] = [:]
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]
        let staticDirectory = directory.appendingPathComponent("static")
        for file in try FileManager.default.contentsOfDirectory(atPath: staticDirectory.path) {
            guard let type = types[(file as NSString).pathExtension] else { continue }
            let data = try Data(contentsOf: staticDirectory.appendingPathComponent(file))
            files[file] = (type, ByteBuffer(bytes: data))
        }
        return Views(library: library, translations: try Translations.load(from: directory), staticFiles: files)
    }

    /// Every template name, for the tests.
    static var templateNames: [String] {
        let templates = resourceDirectory.appendingPathComponent("templates")
        return ((try? FileManager.default.contentsOfDirectory(atPath: templates.path)) ?? [])
            .filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }
    }

    func render<Content: Sendable>(_ template: PageTemplate, _ page: PageView<Content>) -> String {
        guard let html = library.render(page, withTemplate: template.rawValue) else {
            fatalError("no template named \(template.rawValue)")
        }
        return html
    }
}

/// Display forms shared by every page.
enum Display {
    /// `2026-11-26 09:08` in UTC (the panel's clock), without Foundation's calendars.
    static func time(_ seconds: Int64?) -> String {
        guard let seconds else { return "" }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60))"
    }

    /// Midnight UTC of the day holding `seconds`.
    static func dayStart(_ seconds: Int64) -> Int64 { seconds - ((seconds % 86_400) + 86_400) % 86_400 }
}
