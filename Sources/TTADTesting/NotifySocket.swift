import Foundation

/// A datagram socket standing in for systemd's notify socket: point `NOTIFY_SOCKET` at `path`
/// (the test's own environment, or a `DaemonProcess`'s) and read what is sent, one datagram each.
public final class NotifySocket {
    /// The socket file (removed when the value goes away).
    public let path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
    private let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)

    /// Binds `path`; each `receive` waits at most 200 ms.
    public init() {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram (newline-separated `KEY=value` lines), or nil when none came within 200 ms.
    public func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit { close(fd); unlink(path) }
}
