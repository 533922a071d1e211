import ArgumentParser

/// Checks an endpoint given on the command line before anything connects to it, so that a path
/// without a scheme or a typo in the transport is a usage error (exit 64) that says what to
/// write, instead of a libzmq errno or a silent wait.
enum Endpoint {
    /// Throws a `ValidationError` naming `option` unless `endpoint` is `ipc://PATH` or `tcp://HOST:PORT`.
    static func validate(_ endpoint: String, option: String) throws {
        if let path = endpoint.removingPrefix("ipc://") {
            guard !path.isEmpty else { throw ValidationError("\(option) \(endpoint): no socket path after ipc://") }
            return
        }
        if let address = endpoint.removingPrefix("tcp://") {
            guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
                  let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw ValidationError("\(option) \(endpoint): expected tcp://HOST:PORT with a port from 1 to 65535")
            }
            return
        }
        if let scheme = endpoint.range(of: "://").map({ endpoint[..<$0.lowerBound] }) {
            throw ValidationError("\(option) \(endpoint): ttactl reaches ttad over ipc:// or tcp://, not \(scheme)://")
        }
        // No scheme: guess what was meant.
        let looksLikeHostPort = endpoint.split(separator: ":").count == 2 && Int(endpoint.split(separator: ":")[1]) != nil
        let suggestion = looksLikeHostPort ? "tcp://\(endpoint)" : "ipc://\(endpoint)"
        throw ValidationError("\(option) \(endpoint) has no transport: use \(suggestion)")
    }
}

extension String {
    /// The rest of the string after `prefix`, or nil if it does not start with it.
    func removingPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
