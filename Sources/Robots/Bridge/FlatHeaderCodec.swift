import Foundation

/// The per-step fast path of the bridge's header codec.
///
/// Every step crosses the bridge with two headers that hold only scalars (`{"seq":7,"type":"step",
/// "v":1}` and its reply with `success`, `progress`, `intervened`), and Foundation's JSON coders
/// spent about a fifth of the daemon's CPU on them. This writes and reads exactly those headers by
/// hand; anything else (another field, an escape, a duplicate key, `null`, a non-finite number, a
/// malformed token) returns nil and `BridgeProtocol` falls back to Foundation, which also writes
/// the errors. So the fast path never accepts what the JSON decoder would refuse, nor reads a
/// value differently (`FlatHeaderCodecTests` holds it to that).
enum FlatHeaderCodec {
    /// The header's frame when it holds only `v`, `type`, `seq`, `success`, a finite `progress` and
    /// `intervened`; nil otherwise. Keys sorted, as `BridgeProtocol.encode` writes them.
    static func encode(_ h: BridgeProtocol.Header) -> [UInt8]? {
        // Rebuilt from the fields written here, the header must be the same: any other field set
        // (one added to Header later too) sends it the slow way rather than dropping it. A NaN
        // progress is unequal to itself and goes the slow way too.
        guard flat(h.type, h.seq, v: h.v, success: h.success, progress: h.progress, intervened: h.intervened) == h,
              h.progress?.isFinite ?? true else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(80)
        out.append(UInt8(ascii: "{"))
        func key(_ name: StaticString) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func literal(_ value: Bool) { out.append(contentsOf: (value ? "true" : "false").utf8) }
        if let value = h.intervened { key("intervened"); literal(value) }
        // Swift's shortest round-trip form ("0.5", "1e-05", "100.0") is a JSON number for any finite double.
        if let value = h.progress { key("progress"); out.append(contentsOf: value.description.utf8) }
        key("seq"); out.append(contentsOf: String(h.seq).utf8)
        if let value = h.success { key("success"); literal(value) }
        key("type"); out.append(UInt8(ascii: "\"")); out.append(contentsOf: h.type.rawValue.utf8); out.append(UInt8(ascii: "\""))
        key("v"); out.append(contentsOf: String(h.v).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The header in `frame` when it is a JSON object of only those scalar fields, each once,
    /// with `v`, `type` and `seq` present; nil for anything else, which the caller then decodes
    /// the slow way.
    static func decode(_ frame: [UInt8]) -> BridgeProtocol.Header? {
        frame.withUnsafeBufferPointer { bytes in
            var reader = Reader(bytes: bytes)
            return reader.header()
        }
    }

    /// A header of only the fields this codec handles.
    private static func flat(_ type: BridgeProtocol.Kind, _ seq: UInt64, v: Int, success: Bool?, progress: Double?,
                             intervened: Bool?) -> BridgeProtocol.Header {
        var header = BridgeProtocol.Header(type: type, seq: seq)
        header.v = v
        header.success = success
        header.progress = progress
        header.intervened = intervened
        return header
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func header() -> BridgeProtocol.Header? {
            var v: Int?, type: BridgeProtocol.Kind?, seq: UInt64?
            var success: Bool?, progress: Double?, intervened: Bool?
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            skipSpace()
            if !take(UInt8(ascii: "}")) {
                while true {
                    guard let name = plainString() else { return nil }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipSpace()
                    switch name {
                    case "v": guard v == nil, let n = unsigned(), n <= UInt64(Int.max) else { return nil }; v = Int(n)
                    case "seq": guard seq == nil, let n = unsigned() else { return nil }; seq = n
                    case "type":
                        guard type == nil, let raw = plainString(), let kind = BridgeProtocol.Kind(rawValue: raw) else { return nil }
                        type = kind
                    case "success": guard success == nil, let b = bool() else { return nil }; success = b
                    case "intervened": guard intervened == nil, let b = bool() else { return nil }; intervened = b
                    case "progress": guard progress == nil, let x = number() else { return nil }; progress = x
                    default: return nil
                    }
                    skipSpace()
                    if take(UInt8(ascii: ",")) { skipSpace(); continue }
                    guard take(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipSpace()
            guard i == bytes.count, let v, let type, let seq else { return nil }
            return flat(type, seq, v: v, success: success, progress: progress, intervened: intervened)
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        /// A string of printable ASCII without escapes (every key and kind the fast path knows).
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                guard bytes[i] >= 0x20, bytes[i] < 0x7F, bytes[i] != UInt8(ascii: "\\") else { return nil }
                i += 1
            }
            guard i < bytes.count else { return nil }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            i += 1
            return text
        }

        /// Digits only, no leading zero, within UInt64.
        mutating func unsigned() -> UInt64? {
            let start = i
            var n: UInt64 = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (times, o1) = n.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[i] - 0x30))
                guard !o1, !o2 else { return nil }
                n = sum
                i += 1
            }
            guard i > start, !(bytes[start] == 0x30 && i - start > 1) else { return nil }
            // A fraction or exponent ("1.0", "1e3") is left to the JSON decoder.
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
            return n
        }

        mutating func bool() -> Bool? {
            if match("true") { return true }
            if match("false") { return false }
            return nil
        }

        mutating func match(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard bytes.count - i >= n else { return false }
            let same = word.withUTF8Buffer { w in (0..<n).allSatisfy { bytes[i + $0] == w[$0] } }
            if same { i += n }
            return same
        }

        /// A JSON number (RFC 8259's grammar, checked here) read as the nearest double; nil for
        /// anything else, or one that overflows to infinity.
        mutating func number() -> Double? {
            let start = i
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            _ = take(UInt8(ascii: "-"))
            let intStart = i
            let intDigits = digits()
            guard intDigits > 0, !(bytes[intStart] == 0x30 && intDigits > 1) else { return nil }
            if take(UInt8(ascii: ".")) { guard digits() > 0 else { return nil } }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digits() > 0 else { return nil }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }
    }
}
