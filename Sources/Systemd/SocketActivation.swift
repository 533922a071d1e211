import CSystemd
import Glibc

/// The sockets systemd handed this process (socket activation, `sd_listen_fds_with_names(3)`):
/// each already bound and listening, named by its socket unit's `FileDescriptorName=`.
///
/// A socket made by systemd lives in the host's network namespace, so a service with
/// `PrivateNetwork=yes` and `RestrictAddressFamilies=AF_UNIX` can still accept on it.
public struct SocketActivation: Sendable {
    /// Descriptor number by name, as passed (`LISTEN_FDNAMES`; an unnamed one is `unknown`).
    public let descriptors: [(name: String, fd: Int32)]

    /// Reads what systemd passed, once per process: `LISTEN_FDS`, `LISTEN_PID` and `LISTEN_FDNAMES`
    /// are removed from the environment, so a child never mistakes them for its own. Outside
    /// systemd (or with none passed) the list is empty.
    public static func take() -> SocketActivation {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return SocketActivation(descriptors: []) }
        defer {
            if let names {
                for i in 0..<Int(count) { free(names[i]) }
                free(names)
            }
        }
        var found: [(String, Int32)] = []
        for i in 0..<Int(count) {
            let name = names?[i].map { String(cString: $0) } ?? "unknown"
            found.append((name, SD_LISTEN_FDS_START + Int32(i)))
        }
        return SocketActivation(descriptors: found)
    }

    /// The first descriptor named `name`, or nil.
    public func descriptor(named name: String) -> Int32? {
        descriptors.first { $0.name == name }?.fd
    }

    /// Whether `fd` is a listening stream socket (what a `ListenStream=` unit hands over).
    public static func isListeningStream(_ fd: Int32) -> Bool {
        sd_is_socket(fd, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1) > 0
    }
}
