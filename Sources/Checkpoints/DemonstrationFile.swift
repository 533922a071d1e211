import Crypto
import Foundation

/// The safetensors encoding of a demonstration set (docs/demonstration-format.md): tensors
/// `observations` F32 [steps, obs], `actions` F32 [steps, act], `episode_lengths` I32 [episodes];
/// string metadata `format`, `robot`, `task`, `source`, `success` ("1,0,1"), `created_at`, and the
/// checkpoint's two checksums (`checksum` over the data, `header_checksum` over the rest), so a
/// flipped bit is caught on every load.
public enum DemonstrationFile {
    /// The `format` metadata value.
    public static let format = "ttad-demonstrations-1"

    /// Why a demonstration file cannot be used (`field`: the tensor or metadata key at fault).
    public struct Problem: Error, CustomStringConvertible, Sendable, Equatable {
        public var field: String
        public var message: String
        public var description: String { "\(field) \(message)" }
    }

    /// The file's bytes for `set`.
    public static func encode(_ set: DemonstrationSet) throws -> [UInt8] {
        var data: [UInt8] = []
        var table: [(String, String, [Int], Int, Int)] = []
        func append(_ name: String, _ dtype: String, _ shape: [Int], _ words: [UInt32]) {
            let begin = data.count
            for w in words { withUnsafeBytes(of: w.littleEndian) { data.append(contentsOf: $0) } }
            table.append((name, dtype, shape, begin, data.count))
        }
        let steps = set.steps
        append("observations", "F32", [steps, set.observationSize], set.observations.map(\.bitPattern))
        append("actions", "F32", [steps, set.actionSize], set.actions.map(\.bitPattern))
        append("episode_lengths", "I32", [set.episodeLengths.count], set.episodeLengths.map { UInt32(bitPattern: Int32($0)) })
        var meta: [String: String] = [
            "format": format, "robot": set.robot, "task": set.task, "source": set.source,
            "success": set.successes.map { $0 ? "1" : "0" }.joined(separator: ","),
            "created_at": String(set.createdAt),
        ]
        meta[SafeTensorsFile.dataChecksumKey] = "sha256:" + SafeTensorsFile.hex(SHA256.hash(data: data))
        meta[SafeTensorsFile.headerChecksumKey] = "sha256:" + SafeTensorsFile.hex(SHA256.hash(data: Array(SafeTensorsFile.canonical(table: table, metadata: meta).utf8)))
        var header: [String: Any] = ["__metadata__": meta]
        for (name, dtype, shape, begin, end) in table {
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [begin, end]] as [String: Any]
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    /// Reads a set. `stored`: a file of the store, which must carry both checksums and every
    /// metadata key; otherwise (a file a client sends) the checksums are checked when present and
    /// robot, task and source come from the request (`fallback`).
    public static func decode(_ bytes: [UInt8], stored: Bool, fallback: (robot: String, task: String, source: String)? = nil)
        throws(Problem) -> DemonstrationSet {
        func bad(_ field: String, _ message: String) -> Problem { Problem(field: field, message: message) }
        guard bytes.count >= 8 else { throw bad("file", "is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else { throw bad("file", "header length \(n) runs past the end of the file (\(bytes.count) bytes): truncated") }
        let dataStart = 8 + Int(n)
        guard let header = (try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))) as? [String: Any] else {
            throw bad("header", "is not a JSON object")
        }
        let meta = (header["__metadata__"] as? [String: String]) ?? [:]
        if stored, header["__metadata__"] as? [String: String] == nil { throw bad("__metadata__", "is missing or not a string map") }
        let dataSize = bytes.count - dataStart
        var table: [(String, String, [Int], Int, Int)] = []
        var words: [String: (dtype: String, shape: [Int], begin: Int, end: Int)] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad(name, "has a malformed header entry")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, let bytes = SafeTensorsFile.byteCount(shape: shape), end - begin == bytes else {
                throw bad(name, "offsets \(offsets) do not match its shape \(shape) (4-byte values)")
            }
            guard end <= dataSize else { throw bad(name, "ends at byte \(end) of the data, which has \(dataSize): truncated") }
            table.append((name, dtype, shape, begin, end))
            words[name] = (dtype, shape, begin, end)
        }
        if stored || meta[SafeTensorsFile.headerChecksumKey] != nil {
            guard let stated = meta[SafeTensorsFile.headerChecksumKey] else { throw bad(SafeTensorsFile.headerChecksumKey, "is missing") }
            var rest = meta
            rest[SafeTensorsFile.headerChecksumKey] = nil
            let computed = "sha256:" + SafeTensorsFile.hex(SHA256.hash(data: Array(SafeTensorsFile.canonical(table: table, metadata: rest).utf8)))
            guard stated == computed else { throw bad(SafeTensorsFile.headerChecksumKey, "mismatch (header bytes changed)") }
        }
        if stored || meta[SafeTensorsFile.dataChecksumKey] != nil {
            guard let stated = meta[SafeTensorsFile.dataChecksumKey] else { throw bad(SafeTensorsFile.dataChecksumKey, "is missing") }
            let computed = bytes.withUnsafeBytes { "sha256:" + SafeTensorsFile.hex(SHA256.hash(data: UnsafeRawBufferPointer(rebasing: $0[dataStart...]))) }
            guard stated == computed else { throw bad(SafeTensorsFile.dataChecksumKey, "mismatch: the data is \(computed), the file states \(stated)") }
        }
        func tensor(_ name: String, dtype: String, rank: Int) throws(Problem) -> (shape: [Int], words: [UInt32]) {
            guard let t = words[name] else { throw bad(name, "is missing") }
            guard t.dtype == dtype else { throw bad(name, "has dtype \(t.dtype), expected \(dtype)") }
            guard t.shape.count == rank else { throw bad(name, "has shape \(t.shape), expected \(rank) dimension(s)") }
            let count = (t.end - t.begin) / 4
            var out = [UInt32](repeating: 0, count: count)
            for i in 0..<count {
                let o = dataStart + t.begin + 4 * i
                out[i] = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            }
            return (t.shape, out)
        }
        let observations = try tensor("observations", dtype: "F32", rank: 2)
        let actions = try tensor("actions", dtype: "F32", rank: 2)
        let lengths = try tensor("episode_lengths", dtype: "I32", rank: 1)
        guard actions.shape[0] == observations.shape[0] else {
            throw bad("actions", "has \(actions.shape[0]) steps, observations has \(observations.shape[0])")
        }
        func required(_ key: String, _ fallback: String?) throws(Problem) -> String {
            if !stored, let fallback { return fallback }
            guard let value = meta[key] else { throw bad(key, "is missing from the metadata") }
            return value
        }
        let successText = meta["success"] ?? ""
        var successes: [Bool] = []
        for (i, part) in successText.split(separator: ",", omittingEmptySubsequences: false).enumerated() where !successText.isEmpty {
            switch part {
            case "1": successes.append(true)
            case "0": successes.append(false)
            default: throw bad("success", "[\(i)] is \"\(part)\", expected 1 or 0")
            }
        }
        let createdText = try required("created_at", "0")
        guard let createdAt = Double(createdText) else { throw bad("created_at", "is \"\(createdText)\", not a number") }
        if stored, meta["format"] != format { throw bad("format", "is \(meta["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"") }
        return DemonstrationSet(
            robot: try required("robot", fallback?.robot), task: try required("task", fallback?.task),
            source: try required("source", fallback?.source), successes: successes, createdAt: createdAt,
            observationSize: observations.shape[1], actionSize: actions.shape[1],
            observations: observations.words.map(Float.init(bitPattern:)), actions: actions.words.map(Float.init(bitPattern:)),
            episodeLengths: lengths.words.map { Int(Int32(bitPattern: $0)) })
    }
}
