import Foundation

/// A reply: `{"v":1,"id":...,"ok":true,"result":{...}}` or `{"v":1,"id":...,"ok":false,"error":{...}}`.
public struct Reply<Result: Codable & Sendable>: Codable, Sendable {
    public var v: Int
    public var id: String?
    public var ok: Bool
    public var result: Result?
    public var error: WireError?

    /// A success reply.
    public static func success(_ result: Result, id: String?) -> Reply {
        Reply(v: WireVersion.current, id: id, ok: true, result: result, error: nil)
    }

    /// The one JSON frame sent back.
    public func encoded() -> [UInt8] {
        [UInt8]((try? WireCoding.sharedEncoder.encode(self)) ?? Data(#"{"v":1,"ok":false,"error":{"code":"internal","message":"reply could not be encoded"}}"#.utf8))
    }

    /// Reads a reply frame; the error names what did not fit.
    public static func decode(_ bytes: [UInt8]) throws -> Reply {
        try WireCoding.decoder.decode(Reply.self, from: Data(bytes))
    }

    /// The result, or the daemon's error thrown.
    public func get() throws -> Result {
        if ok, let result { return result }
        throw error ?? WireError(.internal, "reply has neither result nor error")
    }
}

/// An empty result (`{}`), for operations that only acknowledge.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}

extension Reply where Result == Empty {
    /// An error reply.
    public static func failure(_ error: WireError, id: String?) -> Reply {
        Reply(v: WireVersion.current, id: id, ok: false, result: nil, error: error)
    }
}

/// `ping`'s result.
public struct Pong: Codable, Sendable, Equatable {
    public var pong: Bool
    /// The daemon's version string.
    public var version: String
    /// The daemon's process id.
    public var pid: Int32
    public init(version: String, pid: Int32) { self.pong = true; self.version = version; self.pid = pid }
}
