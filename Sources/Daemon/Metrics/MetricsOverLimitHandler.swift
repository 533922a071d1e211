import NIOCore

/// Answers a connection over `metrics.max_connections`: `503` with a one-line body naming the
/// limit, then a half-close. It reads and drops whatever the client sent until the client closes
/// (or the refusal's own short deadline passes), because closing with unread bytes would make the
/// kernel send a reset that can destroy the 503 before the client reads it.
final class MetricsOverLimitHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    func channelActive(context: ChannelHandlerContext) {
        let body = "too many connections: at most \(maxConnections) at once (metrics.max_connections)\n"
        let reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply))).whenComplete { [context] _ in
            context.close(mode: .output, promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side: done.
        if let event = event as? ChannelEvent, case .inputClosed = event { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }
}
