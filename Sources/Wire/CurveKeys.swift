import ZeroMQ

/// CURVE keys as ttad's clients handle them: Z85 text (40 characters, as key files and
/// `ttactl keygen` store them) and the raw 32 bytes `WireClient` takes. A facade over libzmq's
/// key functions, so a client needs no ZeroMQ of its own.
public enum CurveKeys {
    /// A client's keys for `WireClient(curve:)`: the daemon's public key, then this client's pair.
    public typealias Client = (serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8])

    /// A new random key pair, in Z85 text.
    public static func generate() throws -> (publicKey: String, secretKey: String) {
        let pair = try ZMQCurveKeyPair.generate()
        return (pair.publicKey, pair.secretKey)
    }

    /// Whether `z85` is a 40-character Z85 key.
    public static func isKey(_ z85: String) -> Bool {
        z85.utf8.count == 40 && (try? ZMQCurveKeyPair.decode(z85)) != nil
    }

    /// The Z85 public key that belongs to the Z85 secret key `secretKey`.
    /// - Throws: when `secretKey` is not a 40-character Z85 key.
    public static func publicKey(forSecretKey secretKey: String) throws -> String {
        try ZMQCurveKeyPair.publicKey(forSecretKey: secretKey)
    }

    /// The 32 raw bytes of a Z85 key.
    /// - Throws: when `z85` is not a 40-character Z85 key.
    public static func decode(_ z85: String) throws -> [UInt8] {
        try ZMQCurveKeyPair.decode(z85)
    }
}
