import Foundation
import History
import Testing
import TTADTesting
import Wire
import ZeroMQ

/// Bad input and crashes: every request answered, nothing accepted ever lost.
@Suite(.serialized) struct DaemonRobustnessTests {
    /// A small deterministic generator so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [String] = [
        #"{"v":1,"op":"ping"}"#,
        #"{"v":1,"op":"status","id":"s"}"#,
        #"{"v":1,"op":"submit","args":{"task":"reach","attempts":1,"adapt":false,"seed":1}}"#,
        #"{"v":1,"op":"history","args":{"limit":3}}"#,
        #"{"v":1,"op":"task","args":{"task_id":"t-0000000000"}}"#,
        #"{"v":1,"op":"cancel","args":{"task_id":"nope"}}"#,
        #"{"v":1,"op":"checkpoints"}"#,
    ]

    static func mutate(_ text: String, _ rng: inout SplitMix) -> [UInt8] {
        var bytes = Array(text.utf8)
        let tokens = ["null", "-1", "1e309", "\"\"", "[]", "{}", "\"nan\"", "true", "0", "1000000000", "\"\u{0}\"", "\\u0000", ":", ","]
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: i)
            case 2: bytes.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: i)
            case 3: bytes = Array(bytes[..<i])
            default: bytes.insert(bytes[i], at: i)
            }
        }
        return bytes
    }

    @Test func tenThousandRandomAndMutatedRequestsAreAllAnswered() throws {
        let daemon = try DaemonProcess.serving(extraConfig: "queue_capacity: 4")
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.connect(daemon.endpoint)
        var rng = SplitMix(state: 20261125)
        var answered = 0, errors = 0
        let total = 10_000
        for n in 0..<total {
            var frames: [[UInt8]]
            switch n % 10 {
            case 0: frames = [[], (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }]
            case 1: frames = [[], Array(Self.seeds.randomElement(using: &rng)!.utf8), Array("extra".utf8)]  // wrong frame count
            case 2: frames = [[]]  // no payload frame
            case 3 where n % 1000 == 3: frames = [[], [UInt8](repeating: 0x7B, count: WireVersion.maxRequestBytes + 10)]
            default: frames = [[], Self.mutate(Self.seeds.randomElement(using: &rng)!, &rng)]
            }
            try socket.send(frames, deadline: .seconds(5))
            let reply = try socket.receive(deadline: .seconds(5))
            answered += 1
            let json = try #require(reply.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }, "reply to request \(n) is JSON")
            #expect(json["v"] as? Int == 1)
            if json["ok"] as? Bool == false {
                errors += 1
                let error = try #require(json["error"] as? [String: Any])
                #expect(!(error["message"] as? String ?? "").isEmpty)
            }
        }
        #expect(answered == total)
        #expect(errors > total / 2, "most mutated requests are refused, each with a reason")
        let status = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "ok")
        #expect(daemon.terminate() == 0)
    }

    @Test func killMinus9AtRandomMomentsLosesNoAcceptedTask() throws {
        let state = NSTemporaryDirectory() + "ttad-crash-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var rng = SplitMix(state: 9)
        var accepted: [String] = []
        let cycles = 50
        for cycle in 0..<cycles {
            let daemon = try DaemonProcess(stateDirectory: state)
            try daemon.waitUntilServing(deadline: .seconds(30))
            let client = try daemon.client()
            let status = try client.call(Request(operation: .status), as: StatusResult.self)
            #expect(status.checkpoint != nil, "cycle \(cycle): the daemon came back on a verified checkpoint")
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let args = SubmitArgs(task: "reach", attempts: 4, seed: UInt64.random(in: 0...1000, using: &rng))
                if let id = try? client.call(Request(operation: .submit, args: .submit(args)), as: SubmitResult.self).taskId {
                    accepted.append(id)
                }
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.4, using: &rng))
            daemon.crash()
        }
        let store = try HistoryStore(path: state + "/history.sqlite")
        #expect(try store.integrityCheck())
        for id in accepted {
            let row = try store.task(id: id)
            #expect(row != nil, "accepted task \(id) is in the history")
        }
        // One more start turns every unfinished task into `interrupted`.
        let last = try DaemonProcess.serving(stateDirectory: state)
        let history = try last.client().call(Request(operation: .history, args: .history(HistoryQuery(limit: 10_000))), as: HistoryResult.self)
        let states = Dictionary(uniqueKeysWithValues: history.tasks.map { ($0.taskId, $0.state) })
        for id in accepted { #expect(["done", "interrupted"].contains(states[id] ?? "missing"), "\(id): \(states[id] ?? "missing")") }
        #expect(accepted.count >= cycles)
        print("crash test: \(cycles) kill -9 cycles, \(accepted.count) tasks accepted, 0 lost")
        #expect(last.terminate() == 0)
    }
}
