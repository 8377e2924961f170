import Foundation

/// The Prometheus text format read by a real parser: `prometheus_client.parser` from PyPI
/// (installed by scripts/install-deps.sh). Returns every sample as `name{labels} value` lines,
/// sorted, and the families' types; a parse error fails the call.
enum PrometheusParser {
    struct Parsed {
        /// `name{k="v",...}` (labels sorted) → value.
        var samples: [String: Double]
        /// Family name → type.
        var types: [String: String]
    }

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {"samples": {}, "types": {}}
        for family in text_string_to_metric_families(sys.stdin.read()):
            out["types"][family.name] = family.type
            for s in family.samples:
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                out["samples"]["%s{%s}" % (s.name, labels)] = s.value
        print(json.dumps(out))
        """

    static func parse(_ text: String) throws -> Parsed {
        let output = try ClientTool(name: "python3").run(["-c", script], environment: [:], input: text)
        let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        let samples = (json["samples"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return Parsed(samples: samples, types: json["types"] as? [String: String] ?? [:])
    }
}
