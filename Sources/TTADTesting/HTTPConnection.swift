import Foundation
import Glibc

/// One plain TCP connection to a local HTTP server (the daemon's `/metrics`), for tests: raw bytes
/// out, the reply read until the server closes, every read with a deadline.
public final class HTTPConnection {
    private let fd: Int32

    /// An HTTP reply: the status code, the header lines and the body.
    public struct Reply {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Connects to `127.0.0.1:port`; reads wait at most `readTimeout`.
    public init(port: Int, readTimeout: Duration = .seconds(10)) throws {
        // `fd` is set only once connected: a class whose init throws after its stored properties
        // are set is deinitialised, and a deinit closing an fd the failure path had closed already
        // closed whatever another thread had opened under that number meanwhile (libzmq aborted
        // on it: "Bad file descriptor (src/epoll.cpp)").
        fd = try Self.connectedSocket(port: port, readTimeout: readTimeout)
    }

    /// A TCP socket connected to `127.0.0.1:port` with its read timeout set; closed before it throws.
    private static func connectedSocket(port: Int, readTimeout: Duration) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: Int(readTimeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `text` as it is.
    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection; nil when the read deadline passed first.
    public func readToEnd() -> String? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return String(decoding: data, as: UTF8.self) }
            if n < 0 { return errno == ECONNRESET ? String(decoding: data, as: UTF8.self) : nil }
            data += buffer[0..<n]
        }
    }

    /// Reads the whole reply (the server closes after it) and parses it; nil when nothing parseable came.
    public func reply() -> Reply? {
        guard let text = readToEnd(), let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// One request on a new connection: `METHOD path`, and the reply.
    public static func request(_ method: String, _ path: String, port: Int) throws -> Reply? {
        let connection = try HTTPConnection(port: port)
        connection.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        return connection.reply()
    }

    deinit { close(fd) }
}

/// The samples of a Prometheus text exposition, by series (`name{label="value",...}` as written).
public struct MetricsText {
    public let text: String
    public let samples: [String: Double]

    public init(_ text: String) {
        self.text = text
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        self.samples = samples
    }

    /// The sum of every series of metric `name` (all label sets).
    public func sum(_ name: String) -> Double {
        samples.filter { $0.key == name || $0.key.hasPrefix(name + "{") }.values.reduce(0, +)
    }
}
