import Foundation

/// A decoded, validated request.
public struct Request: Sendable, Equatable {
    /// Echoed in the reply so a client can match them.
    public var id: String?
    public var operation: Operation
    public var args: Args
    /// The second frame: `import`'s checkpoint file (nil for every other operation, which is
    /// one frame).
    public var attachment: [UInt8]?

    /// The operation's arguments.
    public enum Args: Sendable, Equatable {
        case none
        case submit(SubmitArgs)
        case evaluate(EvaluateArgs)
        case task(TaskRef)
        case history(HistoryQuery)
        case rollback(RollbackArgs)
        case `import`(ImportArgs)
        case exportCheckpoint(ExportCheckpointArgs)
        case demo(DemoArgs)
        case demos(DemosQuery)
        case demonstration(DemonstrationRef)
        case addDemonstrations(AddDemonstrationsArgs)
        case label(LabelArgs)
    }

    public init(id: String? = nil, operation: Operation, args: Args = .none, attachment: [UInt8]? = nil) {
        self.id = id
        self.operation = operation
        self.args = args
        self.attachment = attachment
    }

    /// Reads a request: its JSON frame and, for `import` only, the file frame after it. Every
    /// failure names what was wrong and where.
    public static func decode(_ bytes: [UInt8], attachment: [UInt8]?) throws(WireError) -> Request {
        var request = try decode(bytes)
        if request.operation == .import || request.operation == .addDemonstrations {
            let op = request.operation.rawValue
            guard let attachment else {
                throw WireError(.badFrames, request.operation == .import ? "import needs the checkpoint file as a second frame after the JSON"
                                : "\(op) needs the demonstration file as a second frame after the JSON")
            }
            if attachment.count > WireVersion.maxAttachmentBytes {
                throw WireError(.tooLarge, "the file is \(attachment.count) bytes; \(op) takes at most \(WireVersion.maxAttachmentBytes)")
            }
            if attachment.isEmpty { throw WireError(.invalidField, field: "file", "the file frame is empty") }
            request.attachment = attachment
        } else if attachment != nil {
            throw WireError(.badFrames, "\(request.operation.rawValue) is one frame; only import and add_demonstrations send a second (the file)")
        }
        return request
    }

    /// Reads one request frame. Every failure names what was wrong and where.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Request {
        if bytes.count > WireVersion.maxRequestBytes {
            throw WireError(.tooLarge, "request is \(bytes.count) bytes; the limit is \(WireVersion.maxRequestBytes)")
        }
        let data = Data(bytes)
        let envelope: Envelope
        do { envelope = try WireCoding.decoder.decode(Envelope.self, from: data) } catch let error as DecodingError {
            // Not JSON, or JSON but not an object: malformed. Otherwise a field is at fault.
            switch error {
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw WireError(.malformed, "request is not valid JSON")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty:
                throw WireError(.malformed, "request must be a JSON object")
            default:
                throw WireCoding.describe(error, prefix: "")
            }
        } catch {
            throw WireError(.malformed, "request could not be read")
        }
        guard envelope.v == WireVersion.current else {
            throw WireError(.unsupportedVersion, field: "v", "version \(envelope.v) is not supported; this daemon speaks \(WireVersion.current)")
        }
        if let id = envelope.id, id.utf8.count > 128 {
            throw WireError(.invalidField, field: "id", "must be at most 128 characters")
        }
        let id = envelope.id
        guard let operation = Operation(rawValue: envelope.op) else {
            throw WireError(.unknownOperation, field: "op", "unknown operation \"\(envelope.op.prefix(64))\"; known: \(Operation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func decodeArgs<T: Decodable>() throws(WireError) -> T {
            let wrapped: ArgsEnvelope<T> = try decode(data, prefix: "")
            if let args = wrapped.args { return args }
            // No args object: decode from {} so required fields are reported as missing.
            let empty: T = try decode(Data("{}".utf8), prefix: "args")
            return empty
        }

        let parsed: Args
        switch operation {
        case .submit:
            let submit: SubmitArgs = try decodeArgs()
            try submit.validate()
            parsed = .submit(submit)
        case .evaluate:
            let evaluate: EvaluateArgs = try decodeArgs()
            try evaluate.validate()
            parsed = .evaluate(evaluate)
        case .task, .cancel:
            let ref: TaskRef = try decodeArgs()
            if ref.taskId.isEmpty || ref.taskId.utf8.count > 64 {
                throw WireError(.invalidField, field: "args.task_id", "must be 1 to 64 characters")
            }
            parsed = .task(ref)
        case .history:
            let query: HistoryQuery = try decodeArgs()
            if let limit = query.limit, !(1...10_000).contains(limit) {
                throw WireError(.invalidField, field: "args.limit", "must be between 1 and 10000, got \(limit)")
            }
            if let cursor = query.cursor, cursor.isEmpty || cursor.utf8.count > 128 {
                throw WireError(.invalidField, field: "args.cursor", "must be a previous reply's next_cursor (1 to 128 characters)")
            }
            for (name, t) in [("since", query.since), ("until", query.until)] {
                if let t, !t.isFinite { throw WireError(.invalidField, field: "args.\(name)", "must be a finite time in seconds") }
            }
            parsed = .history(query)
        case .rollback:
            parsed = .rollback(try decodeArgs())
        case .import:
            let args: ImportArgs = try decodeArgs()
            try args.validate()
            parsed = .import(args)
        case .exportCheckpoint:
            let args: ExportCheckpointArgs = try decodeArgs()
            try args.validate()
            parsed = .exportCheckpoint(args)
        case .demo:
            let args: DemoArgs = try decodeArgs()
            try args.validate()
            parsed = .demo(args)
        case .demos:
            parsed = .demos(try decodeArgs())
        case .removeDemonstrations:
            let ref: DemonstrationRef = try decodeArgs()
            if ref.id.isEmpty || ref.id.utf8.count > 64 {
                throw WireError(.invalidField, field: "args.id", "must be 1 to 64 characters")
            }
            parsed = .demonstration(ref)
        case .addDemonstrations:
            let args: AddDemonstrationsArgs = try decodeArgs()
            try args.validate()
            parsed = .addDemonstrations(args)
        case .label:
            let args: LabelArgs = try decodeArgs()
            try args.validate()
            parsed = .label(args)
        case .ping, .status, .checkpoints, .pause, .resume, .reload, .estop:
            parsed = .none
        }
        return Request(id: id, operation: operation, args: parsed)
    }

    /// Encodes this request as the one JSON frame a client sends.
    public func encoded() -> [UInt8] {
        func frame<A: Encodable>(_ args: A?) -> [UInt8] {
            let message = Outgoing(v: WireVersion.current, op: operation.rawValue, id: id, args: args)
            return [UInt8]((try? WireCoding.sharedEncoder.encode(message)) ?? Data())
        }
        return switch args {
        case .none: frame(Empty?.none)
        case .submit(let a): frame(a)
        case .evaluate(let a): frame(a)
        case .task(let a): frame(a)
        case .history(let a): frame(a)
        case .rollback(let a): frame(a)
        case .import(let a): frame(a)
        case .exportCheckpoint(let a): frame(a)
        case .demo(let a): frame(a)
        case .demos(let a): frame(a)
        case .demonstration(let a): frame(a)
        case .addDemonstrations(let a): frame(a)
        case .label(let a): frame(a)
        }
    }

    /// The frames a client sends: the JSON, then the attachment when there is one (`import`).
    public func frames() -> [[UInt8]] {
        [encoded()] + (attachment.map { [$0] } ?? [])
    }

    /// The envelope as sent: one encoder pass over the whole request.
    private struct Outgoing<A: Encodable>: Encodable {
        let v: Int
        let op: String
        let id: String?
        let args: A?
    }

    private struct Envelope: Decodable {
        let v: Int
        let id: String?
        let op: String
    }

    private struct ArgsEnvelope<T: Decodable>: Decodable {
        let args: T?
    }

    private static func decode<T: Decodable>(_ data: Data, prefix: String) throws(WireError) -> T {
        do { return try WireCoding.decoder.decode(T.self, from: data) } catch let error as DecodingError {
            throw WireCoding.describe(error, prefix: prefix)
        } catch {
            throw WireError(.malformed, "request could not be read")
        }
    }
}
