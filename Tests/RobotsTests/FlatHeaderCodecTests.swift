import Foundation
import Testing
@testable import Robots

/// The bridge header's per-step fast path reads and writes exactly what Foundation's JSON coders
/// do, and hands everything else back to them.
struct FlatHeaderCodecTests {
    /// Foundation's reading of a frame, as `decodeHeader` did before the fast path.
    static func foundation(_ frame: [UInt8]) -> BridgeProtocol.Header? {
        try? JSONDecoder().decode(BridgeProtocol.Header.self, from: Data(frame))
    }

    static func header(_ type: BridgeProtocol.Kind, seq: UInt64, success: Bool? = nil, progress: Double? = nil,
                       intervened: Bool? = nil) -> BridgeProtocol.Header {
        var h = BridgeProtocol.Header(type: type, seq: seq)
        h.success = success; h.progress = progress; h.intervened = intervened
        return h
    }

    @Test func everyStepHeaderItWritesReadsBackTheSameThroughFoundationAndThroughItself() throws {
        // Sequence numbers at the edges of what JSON and Double represent exactly, in turn.
        let seqs: [UInt64] = [0, 1, 42, 1 << 53, (1 << 53) + 1, UInt64(Int64.max), UInt64.max]
        var n = 0
        let progresses: [Double?] = [nil, 0, 1, 0.5, 0.1, 1e-5, 1.0 / 3.0, 123456.789, -0.25, 5e20, .leastNonzeroMagnitude,
                                     .greatestFiniteMagnitude]
        for progress in progresses {
            for success in [nil, true, false] as [Bool?] {
                for intervened in [nil, true, false] as [Bool?] {
                    let seq = seqs[n % seqs.count]
                    n += 1
                    let h = Self.header(.step, seq: seq, success: success, progress: progress, intervened: intervened)
                    let frame = try #require(FlatHeaderCodec.encode(h))
                    #expect(Self.foundation(frame) == h, "\(String(decoding: frame, as: UTF8.self))")
                    #expect(FlatHeaderCodec.decode(frame) == h)
                }
            }
        }
        // Keys sorted, as the Foundation encoder with .sortedKeys writes them.
        let frame = FlatHeaderCodec.encode(Self.header(.step, seq: 7, success: true, progress: 0.5, intervened: false))
        #expect(frame.map { String(decoding: $0, as: UTF8.self) }
                == #"{"intervened":false,"progress":0.5,"seq":7,"success":true,"type":"step","v":1}"#)
    }

    @Test func itReadsWhatFoundationWritesAndWhatAPythonControllerSends() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for h in [Self.header(.step, seq: 0), Self.header(.reset, seq: 3, success: false, progress: 0.125),
                  Self.header(.stop, seq: 99, intervened: true), Self.header(.estop, seq: UInt64.max)] {
            let frame = Array(try encoder.encode(h))
            #expect(FlatHeaderCodec.decode(frame) == h)
        }
        // json.dumps's spacing and key order, and whitespace around everything.
        let python = #"  { "v": 1, "type": "step", "seq": 12, "success": false, "progress": 0.3125 }"# + "\n"
        #expect(FlatHeaderCodec.decode(Array(python.utf8)) == Self.header(.step, seq: 12, success: false, progress: 0.3125))
        #expect(FlatHeaderCodec.decode(Array(python.utf8)) == Self.foundation(Array(python.utf8)))
        for number in ["0", "-0", "1E3", "2.5e-3", "-12.75", "1e+2", "0.30000000000000004"] {
            let frame = Array(#"{"v":1,"type":"step","seq":1,"progress":\#(number)}"#.utf8)
            let fast = try #require(FlatHeaderCodec.decode(frame), "\(number)")
            #expect(fast == Self.foundation(frame), "\(number)")
        }
    }

    @Test func itHandsBackEveryHeaderItDoesNotFullyUnderstand() {
        let declined = [
            #"{"v":1,"type":"hello","seq":1,"robot":"arm"}"#,  // another field
            #"{"v":1,"type":"step","seq":1,"success":null}"#,  // null
            #"{"v":1,"type":"step","seq":1,"progress":NaN}"#,  // a non-finite token: the slow path names it
            #"{"v":1,"type":"step","seq":1,"progress":1e400}"#,  // overflows a double
            #"{"v":1,"type":"step","seq":1,"progress":01}"#,  // a leading zero: not JSON
            #"{"v":1,"type":"step","seq":1,"progress":1.}"#,
            #"{"v":1,"type":"step","seq":1,"progress":.5}"#,
            #"{"v":1,"type":"step","seq":1,"intervened":1}"#,  // not a bool: the slow path names it
            #"{"v":1,"type":"step","seq":1,"intervened":"yes"}"#,
            #"{"v":1,"type":"st\u0065p","seq":1}"#,  // an escape
            #"{"v":1,"type":"walk","seq":1}"#,  // an unknown kind
            #"{"v":1,"type":"step","seq":1,"seq":2}"#,  // a duplicate key
            #"{"v":1,"type":"step","seq":-1}"#,  // out of range for seq
            #"{"v":1,"type":"step","seq":18446744073709551616}"#,
            #"{"v":1,"type":"step","seq":1.0}"#,  // a fraction
            #"{"v":1,"type":"step"}"#,  // seq missing
            #"{"type":"step","seq":1}"#,  // v missing
            #"{"v":1,"type":"step","seq":1,}"#,  // a trailing comma
            #"{"v":1,"type":"step","seq":1} x"#,  // trailing bytes
            #"{"v":1,"type":"step","seq":1"#,  // truncated
            #"[1]"#, "", "\u{1}garbage",
        ]
        for text in declined {
            #expect(FlatHeaderCodec.decode(Array(text.utf8)) == nil, "\(text)")
        }
        // Any field beyond the per-step scalars is written the slow way, never dropped.
        let others: [(inout BridgeProtocol.Header) -> Void] = [
            { $0.robot = "arm" }, { $0.message = "x" }, { $0.seed = 3 }, { $0.index = 0 }, { $0.demonstration = false },
            { $0.dynamics = ["damping_scale": 2] }, { $0.actionLow = [-1] }, { $0.controlPeriod = 0.01 },
        ]
        for set in others {
            var h = Self.header(.reset, seq: 1, success: true)
            set(&h)
            #expect(FlatHeaderCodec.encode(h) == nil, "\(h)")
        }
        #expect(FlatHeaderCodec.encode(Self.header(.step, seq: 1, progress: .nan)) == nil)
        #expect(FlatHeaderCodec.encode(Self.header(.step, seq: 1, progress: -.infinity)) == nil)
    }

    @Test func theProtocolStillRefusesAnotherVersionOnTheFastPath() {
        #expect { try BridgeProtocol.decodeHeader(Array(#"{"v":2,"type":"step","seq":4}"#.utf8)) } throws: {
            "\($0)".contains("protocol version 2, expected 1")
        }
    }
}
