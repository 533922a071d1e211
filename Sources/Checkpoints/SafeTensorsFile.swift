import Crypto
import Foundation
import Policy

/// The safetensors encoding of a checkpoint (docs/checkpoint-format.md):
///
///     [8 bytes: header length N, little-endian u64][N bytes: JSON header, space padded][tensor data]
///
/// The header maps each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}
/// (offsets relative to the start of the data) and "__metadata__" to a string-to-string map. We add
/// two checksums there: "checksum" (SHA-256 of the data bytes) and "header_checksum" (SHA-256 of a
/// canonical text of the tensor table and every other metadata entry), so a flipped bit anywhere
/// that matters is caught.
enum SafeTensorsFile {
    static let dataChecksumKey = "checksum"
    static let headerChecksumKey = "header_checksum"

    /// The file's bytes for `tensors` (in the given order) and `metadata`.
    static func encode(tensors: [NamedTensor], metadata: [String: String]) throws -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(tensors.reduce(0) { $0 + $1.values.count * 4 })
        var table: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for t in tensors {
            precondition(t.values.count == t.shape.reduce(1, *), "tensor \(t.name): values do not match shape")
            let begin = data.count
            for v in t.values {
                let bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
            }
            table.append((t.name, t.shape, begin, data.count))
        }
        var meta = metadata
        meta[dataChecksumKey] = "sha256:" + hex(SHA256.hash(data: data))
        meta[headerChecksumKey] = nil
        meta[headerChecksumKey] = "sha256:" + hex(SHA256.hash(data: Array(canonical(
            table: table.map { ($0.name, "F32", $0.shape, $0.begin, $0.end) }, metadata: meta).utf8)))

        var header: [String: Any] = ["__metadata__": meta]
        for t in table {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [t.begin, t.end]] as [String: Any]
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + data.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out += json
        out += data
        return out
    }

    /// The header alone: metadata and tensor table, checked for internal consistency and the header
    /// checksum. `fileSize` bounds the offsets. Throws `CheckpointError.damaged`.
    /// The bytes of an F32 tensor of `shape`, or nil for a negative dimension or a size that
    /// overflows: a header is input (a client's `import`, a file on disk), and a product that
    /// overflows must be refused, not trapped on.
    static func byteCount(shape: [Int]) -> Int? {
        var count = 4
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    static func decodeHeader(prefix: [UInt8], fileSize: Int, path: String) throws
        -> (metadata: [String: String], table: [(name: String, shape: [Int], begin: Int, end: Int)], dataStart: Int) {
        func damaged(_ why: String) -> CheckpointError { .damaged(path: path, reason: why) }
        guard fileSize >= 8, prefix.count >= 8 else { throw damaged("file is \(fileSize) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(fileSize - 8), n <= 100_000_000 else {
            throw damaged("header length \(n) runs past the end of the file (\(fileSize) bytes): truncated")
        }
        let headerEnd = 8 + Int(n)
        guard prefix.count >= headerEnd else { throw damaged("header is truncated") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(prefix[8..<headerEnd])) } catch {
            throw damaged("header is not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw damaged("header is not a JSON object") }
        guard let meta = header["__metadata__"] as? [String: String] else { throw damaged("header has no string __metadata__ map") }
        var table: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        var canonicalTable: [(String, String, [Int], Int, Int)] = []
        let dataSize = fileSize - headerEnd
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw damaged("tensor \"\(name)\" has a malformed header entry") }
            guard dtype == "F32" else { throw damaged("tensor \"\(name)\" has dtype \(dtype), expected F32") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, let bytes = Self.byteCount(shape: shape), end - begin == bytes else {
                throw damaged("tensor \"\(name)\" offsets \(offsets) do not match its shape \(shape)")
            }
            guard end <= dataSize else {
                throw damaged("tensor \"\(name)\" ends at byte \(end) of the data, which has \(dataSize): truncated")
            }
            table.append((name, shape, begin, end))
            canonicalTable.append((name, dtype, shape, begin, end))
        }
        guard let stored = meta[headerChecksumKey] else { throw damaged("header has no \(headerChecksumKey)") }
        var rest = meta
        rest[headerChecksumKey] = nil
        let computed = "sha256:" + hex(SHA256.hash(data: Array(canonical(table: canonicalTable, metadata: rest).utf8)))
        guard stored == computed else { throw damaged("header checksum mismatch (header bytes changed)") }
        table.sort { $0.begin < $1.begin }
        return (meta, table, headerEnd)
    }

    /// The whole file: header checks, then the data checksum, then the tensors.
    static func decode(bytes: [UInt8], path: String) throws -> (metadata: [String: String], tensors: [NamedTensor]) {
        let (meta, table, dataStart) = try decodeHeader(prefix: bytes, fileSize: bytes.count, path: path)
        guard let stored = meta[dataChecksumKey] else { throw CheckpointError.damaged(path: path, reason: "header has no checksum") }
        let dataSize = bytes.count - dataStart
        let expectedSize = table.last?.end ?? 0
        guard dataSize == expectedSize else {
            throw CheckpointError.damaged(path: path, reason: "data is \(dataSize) bytes, the header describes \(expectedSize)")
        }
        let computed = bytes.withUnsafeBytes { "sha256:" + hex(SHA256.hash(data: UnsafeRawBufferPointer(rebasing: $0[dataStart...]))) }
        guard stored == computed else {
            throw CheckpointError.damaged(path: path, reason: "tensor data checksum mismatch (\(computed) != stored \(stored))")
        }
        let tensors = table.map { t in
            let count = (t.end - t.begin) / 4
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let o = dataStart + t.begin + 4 * i
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            return NamedTensor(name: t.name, shape: t.shape, values: values)
        }
        return (meta, tensors)
    }

    /// The text the header checksum covers: one line per tensor sorted by name, then every metadata
    /// entry sorted by key, fields separated by NUL so no value can forge a boundary.
    static func canonical(table: [(String, String, [Int], Int, Int)], metadata: [String: String]) -> String {
        var s = ""
        for (name, dtype, shape, begin, end) in table.sorted(by: { $0.0 < $1.0 }) {
            s += "tensor\0\(name)\0\(dtype)\0\(shape.map(String.init).joined(separator: ","))\0\(begin)\0\(end)\n"
        }
        for key in metadata.keys.sorted() { s += "meta\0\(key)\0\(metadata[key]!)\n" }
        return s
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
