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

    private static func text(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
