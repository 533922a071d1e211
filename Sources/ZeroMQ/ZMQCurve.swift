import CZeroMQ

/// CURVE key pairs (Z85-encoded, 40 characters each), as libzmq's `zmq_curve_keypair` makes them.
public struct ZMQCurveKeyPair: Sendable, Equatable {
    /// The public key in Z85 text.
    public let publicKey: String
    /// The secret key in Z85 text.
    public let secretKey: String

    /// Makes a new random key pair.
    public static func generate() throws -> ZMQCurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError("curve_keypair") }
        return ZMQCurveKeyPair(publicKey: text(pub), secretKey: text(sec))
    }

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Decodes a 40-character Z85 key into its 32 raw bytes.
    public static func decode(_ z85: String) throws -> [UInt8] {
        guard z85.utf8.count == 40 else { throw ZMQError("z85_decode(key of \(z85.utf8.count) chars, expected 40)", code: EINVAL) }
        var out = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&out, z85) != nil else { throw ZMQError("z85_decode", code: EINVAL) }
        return out
    }

    /// The Z85 public key that belongs to a Z85 secret key (as libzmq's `zmq_curve_public` derives it).
    public static func publicKey(forSecretKey secretKey: String) throws -> String {
        _ = try decode(secretKey)  // names a wrong length or a bad character before libzmq does
        var pub = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&pub, secretKey) == 0 else { throw ZMQError("curve_public", code: EINVAL) }
        return text(pub)
    }

    /// Encodes 32 raw key bytes as 40 characters of Z85 (the form key files and logs use).
    public static func encode(_ key: [UInt8]) throws -> String {
        guard key.count == 32 else { throw ZMQError("z85_encode(key of \(key.count) bytes, expected 32)", code: EINVAL) }
        var out = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&out, key, key.count) != nil else { throw ZMQError("z85_encode", code: EINVAL) }
        return text(out)
    }

    private static func text(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
