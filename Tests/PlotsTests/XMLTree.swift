// A parsed XML document as a tree, read with Foundation's XMLParser, so the tests check what
// a real parser sees: the SVG and the report page must be well formed to get here.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Every node below this one (itself included), depth first, in document order.
    var descendants: [XMLNode] { [self] + children.flatMap(\.descendants) }

    /// Descendants named `name` whose `class` attribute holds every class in `classes`.
    func all(_ name: String, classes: String...) -> [XMLNode] {
        descendants.filter { node in
            node.name == name && classes.allSatisfy { (node.attributes["class"] ?? "").split(separator: " ").contains(Substring($0)) }
        }
    }

    /// The text of this node and all below it.
    var allText: String { text + children.map(\.allText).joined() }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ document: String) throws -> XMLNode {
        let parser = XMLParser(data: Data(document.utf8))
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw ParseError(description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root") at line \(parser.lineNumber)")
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let node = XMLNode(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
