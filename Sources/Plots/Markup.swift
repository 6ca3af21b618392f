// Writing XML-compatible markup (SVG, and the report's HTML) as text: elements with attributes in
// the order given, escaped text, and numbers in a fixed short form, so that the same content is
// always the same bytes.
//
// Not handled: namespaces beyond the one on the root element, CDATA, pretty-printing control.

import Foundation

struct Markup {
    private(set) var text = ""
    private var depth = 0

    typealias Attributes = KeyValuePairs<String, String>

    /// `<name a="1">` on its own line, indented by nesting.
    mutating func open(_ name: String, _ attributes: Attributes = [:]) {
        line("<\(name)\(Self.render(attributes))>")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    /// `<name a="1"/>`, or `<name a="1">text</name>` when there is text.
    mutating func element(_ name: String, _ attributes: Attributes = [:], text content: String? = nil) {
        if let content {
            line("<\(name)\(Self.render(attributes))>\(Self.escape(content))</\(name)>")
        } else {
            line("<\(name)\(Self.render(attributes))/>")
        }
    }

    /// The same, with attributes assembled at run time (in the order given).
    mutating func element(_ name: String, _ attributes: [(String, String)], text content: String? = nil) {
        let pairs = attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        if let content {
            line("<\(name)\(pairs)>\(Self.escape(content))</\(name)>")
        } else {
            line("<\(name)\(pairs)/>")
        }
    }

    /// Markup already escaped and well formed (a nested document), appended as it is.
    mutating func raw(_ markup: String) {
        text += markup
        if !markup.hasSuffix("\n") { text += "\n" }
    }

    private mutating func line(_ content: String) {
        text += String(repeating: " ", count: depth) + content + "\n"
    }

    static func render(_ attributes: Attributes) -> String {
        attributes.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    /// Text safe inside elements and double-quoted attributes. Control characters other than tab
    /// and newline (which XML forbids) become U+FFFD, so any sample text stays well formed.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            case "\r": result += "&#13;"
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// A coordinate with one decimal and no trailing ".0": 12 → "12", 12.25 → "12.3".
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(format: "%.1f", rounded)
    }
}
