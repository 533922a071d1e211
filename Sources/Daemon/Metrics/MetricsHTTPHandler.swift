import NIOCore
import NIOHTTP1

/// Answers one HTTP request on a metrics connection, then closes it: `GET /metrics` gets the
/// exposition; another method 405 (with `Allow: GET`), another path 404, each with a one-line body
/// that says what was wrong. A request body is read and dropped.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The Prometheus text exposition format's content type.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let render: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?
    private var answered = false

    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head, !answered else { return }
            answered = true
            let (status, headers, body) = Self.reply(to: head, render: render)
            var responseHead = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
            responseHead.headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
            responseHead.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in context.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client that went away before its request: free its slot now, not at the deadline.
        if let event = event as? ChannelEvent, case .inputClosed = event, !answered { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    /// The status, headers and body for `head`.
    static func reply(to head: HTTPRequestHead, render: () -> [UInt8]) -> (HTTPResponseStatus, HTTPHeaders, [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        guard path == "/metrics" else {
            return (.notFound, ["Content-Type": "text/plain; charset=utf-8"],
                    Array("not found: \(path.prefix(200)); the only path is /metrics\n".utf8))
        }
        guard head.method == .GET else {
            return (.methodNotAllowed, ["Content-Type": "text/plain; charset=utf-8", "Allow": "GET"],
                    Array("method \(head.method.rawValue) not allowed: /metrics answers GET only\n".utf8))
        }
        return (.ok, ["Content-Type": contentType], render())
    }
}
