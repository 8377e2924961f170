import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The `XMLParser` delegate that builds an `S3XMLElement` tree; used for one parse only.
final class S3XMLTreeBuilder: NSObject, XMLParserDelegate {
    /// Deeper than any S3 response nests (ListObjectsV2's `Owner/ID` is level 4).
    static let maxDepth = 16

    /// Open elements, innermost last.
    var stack: [S3XMLElement] = []
    /// The document's element, once closed.
    var root: S3XMLElement?
    /// Why the document is refused although the parser accepted it.
    var failure: String?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if root != nil {
            fail(parser, "content after the document element")
            return
        }
        guard stack.count < Self.maxDepth else {
            fail(parser, "elements nested deeper than \(Self.maxDepth)")
            return
        }
        stack.append(S3XMLElement(name: elementName, text: "", children: []))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let element = stack.popLast() else { return }
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        // libxml2 reports some errors (content after the document element) only here.
        if failure == nil { failure = S3XMLElement.describe(parserError: (parseError as NSError).code) }
    }

    private func fail(_ parser: XMLParser, _ reason: String) {
        if failure == nil { failure = reason }
        parser.abortParsing()
    }
}
