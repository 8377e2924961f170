import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of an S3 response body as a real XML parser (libxml2 behind FoundationXML's
/// `XMLParser`) read it: a body that is not well-formed (cut short, garbage, two roots) never
/// becomes a tree, so nothing downstream ever works from half a listing.
struct S3XMLElement: Sendable, Equatable {
    /// The element's name without namespace prefix (S3 uses a default namespace).
    var name: String
    /// The element's own character data (entities decoded), concatenated.
    var text: String
    /// Child elements in document order.
    var children: [S3XMLElement]

    /// The first child named `name`.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child named `name`, in order.
    func children(_ name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child named `name`, if there is one.
    func value(_ name: String) -> String? {
        child(name)?.text
    }

    /// Parses a whole body; throws `.malformed` naming the parser's complaint and position.
    static func parse(_ body: [UInt8]) throws(S3ResponseProblem) -> S3XMLElement {
        guard !body.isEmpty else { throw .malformed("the body is empty") }
        let parser = XMLParser(data: Data(body))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let builder = S3XMLTreeBuilder()
        parser.delegate = builder
        let parsed = parser.parse()
        guard parsed, builder.failure == nil, let root = builder.root, builder.stack.isEmpty else {
            let code = (parser.parserError as NSError?)?.code
            let reason = builder.failure ?? code.map(describe(parserError:)) ?? "the document ends early"
            throw .malformed("not well-formed XML (\(reason), at line \(parser.lineNumber), column \(parser.columnNumber))")
        }
        return root
    }

    /// libxml2's common complaints in words (the parser's own text is a bare error number).
    static func describe(parserError code: Int) -> String {
        switch code {
        case 4: return "no XML document: empty, or not XML"
        case 5: return "the document ends early, as if cut short"
        case 76: return "mismatched tags"
        case 85, 86: return "content after the document element"
        default: return "XML parser error \(code)"
        }
    }
}
