import ArgumentParser
import Foundation
import Wire

/// Reads a CURVE key given on the command line: the 40 Z85 characters themselves, or a file
/// holding them (as `ttactl keygen` and ttad's `curve_secret_key_file` store them, one line).
enum CurveKeyText {
    /// The Z85 key in `value`; `allowInline`: `value` may be the key itself (public keys only,
    /// since a secret key on the command line ends up in the shell history and in `ps`).
    static func read(_ value: String, option: String, allowInline: Bool) throws -> String {
        if allowInline, CurveKeys.isKey(value) { return value }
        guard let data = FileManager.default.contents(atPath: value) else {
            throw ValidationError("\(option) \(value): " + (allowInline ? "neither a 40-character Z85 key nor a readable file" : "cannot read the file"))
        }
        // Key files may carry comment lines; the key is the one 40-character line.
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.count == 1, let key = lines.first, CurveKeys.isKey(key) else {
            throw ValidationError("\(option) \(value): expected one line holding a 40-character Z85 key")
        }
        return key
    }
}
