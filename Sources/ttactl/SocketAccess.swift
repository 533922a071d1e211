import Foundation

/// Tells a user why they cannot reach the daemon's ipc:// socket when the file system says so.
///
/// libzmq connects in the background and retries quietly: a socket its user may not open looks
/// exactly like a daemon that does not answer. Connecting to a Unix socket needs write
/// permission on the socket file and search permission on every folder above it, which
/// access(2) checks for the real user and groups of this process.
enum SocketAccess {
    /// Why this user may not connect to `endpoint`'s socket file, or nil (not ipc://, allowed,
    /// or missing: the daemon may be about to create it).
    static func denial(endpoint: String) -> Denial? {
        guard let path = endpoint.removingPrefix("ipc://"), !path.isEmpty else { return nil }
        guard access(path, W_OK) != 0, errno == EACCES else { return nil }
        // The first folder on the way down that shuts us out, else the socket file itself.
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var folder = ""
        var blocker = absolute
        for component in absolute.split(separator: "/").dropLast() {
            folder += "/" + component
            if access(folder, X_OK) != 0 && errno == EACCES {
                blocker = folder
                break
            }
        }
        var info = stat()
        let known = stat(blocker, &info) == 0
        return Denial(path: path, blocker: blocker, isSocket: blocker == absolute,
                      mode: known ? UInt16(info.st_mode & 0o7777) : nil,
                      group: known ? groupName(info.st_gid) : nil,
                      user: userName(getuid()))
    }

    /// Says that the socket file is missing, when `endpoint` is ipc:// and it is; `key` is the
    /// daemon's config key for that endpoint (`request_endpoint`, `event_endpoint`).
    static func missingSocket(endpoint: String, key: String = "request_endpoint") -> String? {
        guard let path = endpoint.removingPrefix("ipc://"), !path.isEmpty else { return nil }
        guard access(path, F_OK) != 0, errno == ENOENT else { return nil }
        return "no socket file \(path) exists (the daemon is not running, or its \(key) is another; `systemctl status ttad`)"
    }

    /// A permission problem, as a message that names the file, its group and the fix.
    struct Denial: CustomStringConvertible, Equatable {
        let path: String
        /// The folder or file whose permissions shut the user out.
        let blocker: String
        let isSocket: Bool
        let mode: UInt16?
        let group: String?
        let user: String

        var description: String {
            let what = isSocket ? "the socket" : blocker
            let mode = mode.map { "mode " + String(format: "%04o", $0) } ?? "mode unknown"
            guard let group else {
                return "permission denied on \(path): \(what) (\(mode)) is closed to \(user)"
            }
            let head = "permission denied on \(path): \(what) belongs to group \(group) (\(mode))"
            if SocketAccess.isListedMember(user: user, group: group) {
                return head + ", which \(user) joined after this login began: log in again (or run `newgrp \(group)`)"
            }
            return head + ", and \(user) is not in it; add yourself with `sudo usermod -aG \(group) $USER` and log in again"
        }
    }

    private static func groupName(_ gid: gid_t) -> String? {
        guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return nil }
        return String(cString: name)
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    /// Whether the group database lists `user` in `group` (added after this login session began).
    static func isListedMember(user: String, group: String) -> Bool {
        guard let entry = getgrnam(group), var member = entry.pointee.gr_mem else { return false }
        while let name = member.pointee {
            if String(cString: name) == user { return true }
            member += 1
        }
        return false
    }
}
