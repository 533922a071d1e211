import Foundation

/// Writes export rows to standard output as CSV (RFC 4180: a header line, fields quoted when they
/// hold a comma, a quote or a line break) or JSON Lines (one object per line, keys in column
/// order). A page of rows goes out in one write, so memory holds one page at most.
struct ExportWriter {
    enum Format: String, CaseIterable { case csv, jsonl }

    let format: Format
    let columns: [String]
    private(set) var rowsWritten = 0

    init(format: Format, columns: [String]) {
        self.format = format
        self.columns = columns
    }

    /// The CSV header line (nothing for JSONL).
    func header() {
        if format == .csv { write(columns.map(Self.csvField).joined(separator: ",") + "\n") }
    }

    /// Writes `rows` (each in column order) in one go.
    mutating func write(_ rows: [[ExportTable.Value]]) {
        guard !rows.isEmpty else { return }
        var text = ""
        for row in rows {
            switch format {
            case .csv:
                text += row.map { value -> String in
                    switch value {
                    case .text(let s): Self.csvField(s)
                    case .number(let x): Self.number(x)
                    case .integer(let n): "\(n)"
                    case .flag(let b): b ? "true" : "false"
                    case .null: ""
                    }
                }.joined(separator: ",")
            case .jsonl:
                text += "{" + zip(columns, row).map { name, value -> String in
                    let json = switch value {
                    case .text(let s): Self.jsonString(s)
                    case .number(let x): Self.number(x)
                    case .integer(let n): "\(n)"
                    case .flag(let b): b ? "true" : "false"
                    case .null: "null"
                    }
                    return "\"\(name)\":\(json)"
                }.joined(separator: ",") + "}"
            }
            text += "\n"
        }
        rowsWritten += rows.count
        write(text)
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A CSV field, quoted when it must be.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A number as JSON and CSV take it: the shortest text that reads back to the same Double.
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }
}
