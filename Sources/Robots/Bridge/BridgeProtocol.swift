import Foundation

/// The bridge protocol between ttad and a robot controller (docs/bridge-protocol.md).
///
/// Every message is a ZeroMQ multipart message: a small JSON header frame, then zero or more
/// binary frames of little-endian float32 (observation, state, action). ttad connects a DEALER
/// socket; the controller binds a ROUTER (or anything that answers each request on the same
/// connection). Every request carries a sequence number that its reply repeats.
public enum BridgeProtocol {
    /// The protocol version in every header (`v`).
    public static let version = 1

    /// The feature a controller announces in its hello (`features`) when a person can drive whole
    /// attempts (protocol 1.2, docs/bridge-protocol.md "Demonstrations").
    public static let demonstrationFeature = "demonstration"

    /// The message kinds (`type` in the header).
    public enum Kind: String, Codable, Sendable {
        /// Capabilities: request from ttad, reply from the controller with robot name, sizes, limits, joints.
        case hello
        /// Start an attempt: request with task params, dynamics, seed, attempt index; reply with observation + state.
        case reset
        /// One action: request with an action frame; reply with observation + state and `success`.
        case step
        /// Stop moving now (zero commands); reply acknowledges. Idempotent.
        case stop
        /// Emergency stop (from any ttad thread, on its own connection); like stop, and the controller refuses steps until the next reset.
        case estop
        /// From the controller while it works on a long request (a person setting the scene): "still alive".
        case heartbeat
        /// A reply saying the request failed (`message` says why).
        case error
    }

    /// The JSON header frame. Fields not used by a kind are left out.
    public struct Header: Codable, Sendable, Equatable {
        public var v: Int = BridgeProtocol.version
        public var type: Kind
        public var seq: UInt64
        // hello reply
        public var robot: String?
        public var observationSize: Int?
        public var actionSize: Int?
        public var actionLow: [Float]?
        public var actionHigh: [Float]?
        public var joints: [String]?
        public var endEffector: Bool?
        public var controlPeriod: Double?
        /// Optional (protocol 1.2): what the controller can do beyond 1.0, e.g. `demonstration`
        /// (a person can drive whole attempts). Absent: nothing.
        public var features: [String]?
        // reset request
        public var task: String?
        public var params: [String: Double]?
        public var dynamics: [String: Double]?
        public var seed: UInt64?
        public var index: Int?
        /// Protocol 1.2: this attempt is a demonstration, a person drives every step (only sent
        /// to a controller whose hello announced the `demonstration` feature; absent otherwise).
        public var demonstration: Bool?
        // step reply
        public var success: Bool?
        /// Optional: how far toward the goal the robot is now, 0 (at the start) to 1 (reached).
        public var progress: Double?
        /// Optional (protocol 1.1): a person drove this step; the reply then carries a third data
        /// frame, the action actually executed. Absent or false: ttad's action was executed.
        public var intervened: Bool?
        // error reply
        public var message: String?

        public init(type: Kind, seq: UInt64) {
            self.type = type
            self.seq = seq
        }

        enum CodingKeys: String, CodingKey {
            case v, type, seq, robot, joints, task, params, dynamics, seed, index, success, progress, intervened, message
            case features, demonstration
            case observationSize = "observation_size", actionSize = "action_size", actionLow = "action_low"
            case actionHigh = "action_high", endEffector = "end_effector", controlPeriod = "control_period"
        }
    }

    /// Why a message could not be decoded.
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Encodes a header into its frame.
    public static func encode(_ header: Header) -> [UInt8] {
        if let frame = FlatHeaderCodec.encode(header) { return frame }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Header is plain data; encoding cannot fail.
        return Array(try! encoder.encode(header))
    }

    /// Decodes a header frame; anything that is not a version-1 header is an error.
    ///
    /// Bare `NaN`, `Infinity` and `-Infinity` (not JSON, but what Python's `json.dumps` writes for a
    /// non-finite float) are read as those values, so that the reader can name the field that
    /// carried one (`progress is nan`) rather than call the whole header garbage.
    public static func decodeHeader(_ frame: [UInt8]) throws(DecodeError) -> Header {
        let header: Header
        if let flat = FlatHeaderCodec.decode(frame) { header = flat } else { header = try decodeWithFoundation(frame) }
        guard header.v == version else { throw DecodeError(message: "protocol version \(header.v), expected \(version)") }
        return header
    }

    /// Any header, through Foundation's decoder (the per-step ones take `FlatHeaderCodec`'s fast
    /// path first), with errors that name what was wrong; the caller checks the version.
    static func decodeWithFoundation(_ frame: [UInt8]) throws(DecodeError) -> Header {
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(frame)) } catch {
            if let bad = nonBoolIntervened(frame) { throw DecodeError(message: bad) }
            guard let tolerant = quotingNonFiniteTokens(frame) else {
                let preview = String(decoding: frame.prefix(40), as: UTF8.self)
                throw DecodeError(message: "not a bridge header (\(frame.count) bytes: \(preview.debugDescription))")
            }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            do { header = try decoder.decode(Header.self, from: Data(tolerant)) } catch {
                let preview = String(decoding: frame.prefix(40), as: UTF8.self)
                throw DecodeError(message: "not a bridge header (\(frame.count) bytes: \(preview.debugDescription))")
            }
        }
        return header
    }

    /// "intervened is ..., expected true or false" when the frame is a JSON object whose
    /// `intervened` is not a bool: named, so the fault says which field was wrong.
    static func nonBoolIntervened(_ frame: [UInt8]) -> String? {
        struct Flag: Decodable { var intervened: Bool? }
        struct Text: Decodable { var intervened: String }
        struct Number: Decodable { var intervened: Double }
        let decoder = JSONDecoder()
        do { _ = try decoder.decode(Flag.self, from: Data(frame)); return nil } catch DecodingError.typeMismatch(_, let context) {
            guard context.codingPath.first?.stringValue == "intervened" else { return nil }
        } catch { return nil }
        let shown = (try? decoder.decode(Text.self, from: Data(frame))).map { "\"\($0.intervened)\"" }
            ?? (try? decoder.decode(Number.self, from: Data(frame))).map { "\($0.intervened)" } ?? "not a bool"
        return "intervened is \(shown), expected true or false"
    }

    /// `frame` with every bare `NaN`, `Infinity` and `-Infinity` token outside strings put in
    /// quotes; nil when there is none (then the frame is not JSON for another reason).
    static func quotingNonFiniteTokens(_ frame: [UInt8]) -> [UInt8]? {
        let tokens: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
        var out: [UInt8] = []
        out.reserveCapacity(frame.count + 16)
        var inString = false, escaped = false, found = false
        var i = 0
        scan: while i < frame.count {
            let byte = frame[i]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                out.append(byte)
                i += 1
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            for token in tokens where frame[i...].starts(with: token) {
                out.append(UInt8(ascii: "\""))
                out += token
                out.append(UInt8(ascii: "\""))
                i += token.count
                found = true
                continue scan
            }
            out.append(byte)
            i += 1
        }
        return found ? out : nil
    }

    /// Encodes floats as little-endian float32 bytes.
    public static func encode(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        for (i, value) in values.enumerated() {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { raw in for b in 0..<4 { out[4 * i + b] = raw[b] } }
        }
        return out
    }

    /// Decodes a float32 frame of exactly `count` values.
    public static func decodeFloats(_ frame: [UInt8], count: Int, what: String) throws(DecodeError) -> [Float] {
        guard frame.count == 4 * count else {
            // Say it in values, as the robot-config does: "22 float32 values, expected 23".
            let found = frame.count % 4 == 0 ? "\(frame.count / 4) float32 values (\(frame.count) bytes)" : "\(frame.count) bytes, not a whole number of float32 values"
            throw DecodeError(message: "\(what) frame has \(found), expected \(count) (\(4 * count) bytes)")
        }
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let bits = UInt32(frame[4 * i]) | UInt32(frame[4 * i + 1]) << 8 | UInt32(frame[4 * i + 2]) << 16 | UInt32(frame[4 * i + 3]) << 24
            out[i] = Float(bitPattern: bits)
        }
        return out
    }

    /// Packs a safety state into the state frame: joint positions, joint velocities, then end-effector xyz if reported.
    public static func encodeState(_ state: SafetyState) -> [UInt8] {
        var values = state.jointPositions.map(Float.init) + state.jointVelocities.map(Float.init)
        if let ee = state.endEffector { values += [Float(ee.x), Float(ee.y), Float(ee.z)] }
        return encode(values)
    }

    /// Unpacks a state frame for `joints` joints.
    public static func decodeState(_ frame: [UInt8], joints: Int, endEffector: Bool) throws(DecodeError) -> SafetyState {
        let values = try decodeFloats(frame, count: 2 * joints + (endEffector ? 3 : 0), what: "state")
        let d = values.map(Double.init)
        return SafetyState(
            jointPositions: Array(d[0..<joints]), jointVelocities: Array(d[joints..<(2 * joints)]),
            endEffector: endEffector ? SIMD3(d[2 * joints], d[2 * joints + 1], d[2 * joints + 2]) : nil)
    }
}
