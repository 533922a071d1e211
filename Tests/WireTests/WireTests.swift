import Foundation
import Testing
@testable import Wire

@Suite struct RequestDecodingTests {
    func decode(_ text: String) throws(WireError) -> Request { try Request.decode(Array(text.utf8)) }

    func error(_ text: String) -> WireError? {
        do { _ = try decode(text); return nil } catch { return error }
    }

    @Test func aFullSubmitDecodes() throws {
        let request = try decode("""
            {"v":1,"id":"r1","op":"submit","args":{"task":"reach","robot":"reacher2","attempts":4,
             "temperature_base":0.6,"temperature_range":0.3,"reward":"binary","adapt":false,"priority":3,
             "seed":42,"params":{"target_x":0.1},"dynamics":{"damping_scale":3}}}
            """)
        #expect(request.id == "r1" && request.operation == .submit)
        guard case .submit(let args) = request.args else { Issue.record("not a submit"); return }
        #expect(args == SubmitArgs(robot: "reacher2", task: "reach", params: ["target_x": 0.1], dynamics: ["damping_scale": 3],
                                   attempts: 4, temperatureBase: 0.6, temperatureRange: 0.3, reward: "binary", adapt: false, priority: 3, seed: 42))
    }

    @Test func encodedRequestsDecodeToThemselves() throws {
        let requests = [
            Request(id: "a", operation: .ping),
            Request(id: "b", operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 8))),
            Request(id: "c", operation: .history, args: .history(HistoryQuery(task: "reach", limit: 5))),
            Request(id: "d", operation: .rollback, args: .rollback(RollbackArgs(checkpoint: "ck", reason: "why"))),
            Request(id: "e", operation: .cancel, args: .task(TaskRef(taskId: "t-1"))),
        ]
        for request in requests { #expect(try Request.decode(request.encoded()) == request) }
    }

    @Test(arguments: [
        ("not json", WireError.Code.malformed, nil as String?),
        ("[1,2]", .malformed, nil),
        (#"{"op":"ping"}"#, .invalidField, "v"),
        (#"{"v":"1","op":"ping"}"#, .invalidField, "v"),
        (#"{"v":2,"op":"ping"}"#, .unsupportedVersion, "v"),
        (#"{"v":1}"#, .invalidField, "op"),
        (#"{"v":1,"op":7}"#, .invalidField, "op"),
        (#"{"v":1,"op":"fly"}"#, .unknownOperation, "op"),
        (#"{"v":1,"op":"submit"}"#, .invalidField, "args.task"),
        (#"{"v":1,"op":"submit","args":[]}"#, .invalidField, "args"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","attempts":0}}"#, .invalidField, "args.attempts"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","attempts":1000000000}}"#, .invalidField, "args.attempts"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","attempts":"many"}}"#, .invalidField, "args.attempts"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","temperature_base":-0.5}}"#, .invalidField, "args.temperature_base"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","temperature_range":"nan"}}"#, .invalidField, "args.temperature_range"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","reward":"speed"}}"#, .invalidField, "args.reward"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","priority":10}}"#, .invalidField, "args.priority"),
        (#"{"v":1,"op":"submit","args":{"task":"reach","params":{"target_x":"far"}}}"#, .invalidField, "args.params.target_x"),
        (#"{"v":1,"op":"submit","args":{"task":""}}"#, .invalidField, "args.task"),
        (#"{"v":1,"op":"cancel","args":{}}"#, .invalidField, "args.task_id"),
        (#"{"v":1,"op":"history","args":{"limit":0}}"#, .invalidField, "args.limit"),
        (#"{"v":1,"op":"history","args":{"cursor":""}}"#, .invalidField, "args.cursor"),
    ])
    func badRequestsNameWhatWasWrong(text: String, code: WireError.Code, field: String?) {
        let error = error(text)
        #expect(error?.code == code, "\(text) -> \(String(describing: error))")
        #expect(error?.field == field, "\(text) -> \(String(describing: error))")
        #expect(error.map { !$0.message.isEmpty } ?? false)
    }

    @Test func oversizedRequestsAreRefusedBeforeParsing() {
        let big = #"{"v":1,"op":"ping","id":""# + String(repeating: "x", count: WireVersion.maxRequestBytes) + #""}"#
        #expect(error(big)?.code == .tooLarge)
    }

    @Test func repliesCarryEitherAResultOrAnError() throws {
        let ok = Reply.success(Pong(version: "1", pid: 9), id: "x").encoded()
        let decoded = try Reply<Pong>.decode(ok)
        #expect(try decoded.get().pid == 9 && decoded.id == "x")
        let bad = Reply<Empty>.failure(WireError(.queueFull, "full"), id: "y").encoded()
        let text = String(decoding: bad, as: UTF8.self)
        #expect(text.contains(#""ok":false"#) && text.contains(#""code":"queue_full""#))
        #expect(throws: WireError.self) { try Reply<Empty>.decode(bad).get() }
    }

    @Test func eventsAreTwoFramesTopicFirst() throws {
        var event = Event(kind: .attemptFinished, taskId: "t-1")
        event.attempt = 2
        event.reward = 0.75
        let frames = event.frames()
        #expect(frames.count == 2 && String(decoding: frames[0], as: UTF8.self) == "attempt_finished")
        #expect(try Event.decode(frames) == event)
        #expect(String(decoding: frames[1], as: UTF8.self).contains(#""task_id":"t-1""#))
    }
}
