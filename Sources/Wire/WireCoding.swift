import Foundation

/// The JSON conventions of the wire: snake_case keys; key order carries no meaning.
public enum WireCoding {
    /// An encoder with the wire's conventions and sorted keys, for stable output people read
    /// (a fresh one: callers may change its options).
    public static var encoder: JSONEncoder {
        let encoder = makeEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// Shared coders for the request path; JSONEncoder/JSONDecoder are thread-safe once configured.
    /// Unsorted: sorting keys compares strings at every object, a measurable share of a round trip.
    static let sharedEncoder = makeEncoder()
    static let sharedDecoder = makeDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The decoder every message goes through.
    public static var decoder: JSONDecoder { sharedDecoder }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Turns a decoding failure into an error naming the field and what was expected.
    static func describe(_ error: DecodingError, prefix: String) -> WireError {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let names = (keys + (last.map { [$0] } ?? [])).map { key in
                key.intValue.map { "[\($0)]" } ?? snake(key.stringValue)
            }
            return ((prefix.isEmpty ? [] : [prefix]) + names).joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return WireError(.invalidField, field: path(context.codingPath, key), "missing field")
        case .typeMismatch(let type, let context):
            return WireError(.invalidField, field: path(context.codingPath), "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return WireError(.invalidField, field: path(context.codingPath), "expected \(typeName(type)), got null")
        case .dataCorrupted(let context):
            return WireError(.invalidField, field: path(context.codingPath), context.debugDescription)
        @unknown default:
            return WireError(.malformed, "\(prefix) could not be read")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is [String: Double].Type: "an object of numbers"
        default: "\(type)"
        }
    }

    private static func snake(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}
