import ArgumentParser
import Foundation
import Wire

/// `ttactl keygen`: a CURVE key pair for reaching ttad's tcp_endpoint (or for the daemon itself).
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.pub (give it to the robot's admin) and NAME.secret (mode 0600, keep it).",
        discussion: """
            The robot admits a client whose NAME.pub is in its curve_client_keys_directory \
            (default /etc/ttad/clients.d). Exit status: 0 written; 73 a file exists already or the \
            folder is not writable (nothing is overwritten).
            """)

    @Option(help: "Folder to write the two files in.") var output: String = "."
    @Option(help: "The key's name, used for the file names and in the daemon's log; default USER@HOST.") var name: String?
    @Flag(help: "Print the public key and the two paths as JSON.") var json = false

    func validate() throws {
        if let name, name.isEmpty || name.hasPrefix(".") || name.contains("/") {
            throw ValidationError("--name \(name): expected a plain file name (no '/', not starting with '.')")
        }
    }

    func run() throws {
        let pair = try CurveKeys.generate()
        let base = name ?? Self.defaultName()
        let folder = URL(fileURLWithPath: output).standardizedFileURL.path
        let publicPath = folder + "/" + base + ".pub"
        let secretPath = folder + "/" + base + ".secret"
        for path in [publicPath, secretPath] where FileManager.default.fileExists(atPath: path) {
            warn("\(path) exists; nothing was written (pick another --name, or move the old pair away)")
            throw Exit.cannotCreate
        }
        do {
            // The secret first: a public key without its secret is useless, the other way round is not.
            try Self.writeNew(secretPath, pair.secretKey + "\n", mode: 0o600)
            try Self.writeNew(publicPath, pair.publicKey + "\n", mode: 0o644)
        } catch let error as WriteError {
            warn("\(error)")
            throw Exit.cannotCreate
        }
        if json {
            printJSON(["public_key": pair.publicKey, "public_key_file": publicPath, "secret_key_file": secretPath])
            return
        }
        print("""
            public key: \(pair.publicKey)
              \(publicPath)     public: give it to the robot's admin
              \(secretPath)  secret (mode 0600): keep it here, never send it

            To admit this client, copy \(base).pub to the robot and there (as root):
              install -m 0644 \(base).pub /etc/ttad/clients.d/
            (ttad reads the folder on every new connection; no restart needed.) Then, from here:
              ttactl --endpoint tcp://ROBOT:PORT --curve-server-key SERVER_PUBLIC_KEY \\
                     --curve-key-file \(secretPath) ping
            For the daemon's own pair, run `ttactl keygen --name server` on the robot and set
            curve_secret_key_file to server.secret (root:ttad, mode 0640); clients need server.pub.
            """)
    }

    /// USER@HOST: names the client in the daemon's log when its key is admitted or refused.
    static func defaultName() -> String {
        let user = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "ttactl"
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(user)@\(host)"
    }

    /// Why a key file could not be written.
    struct WriteError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `text` to a new file at `path` with `mode`, never replacing one, and durably: a
    /// temporary file in the same folder is written and fsynced, then hard-linked into place
    /// (link(2) fails instead of overwriting), then the folder is fsynced.
    static func writeNew(_ path: String, _ text: String, mode: mode_t) throws {
        func failure(_ what: String) -> WriteError { WriteError(path: path, reason: "\(what): \(String(cString: strerror(errno)))") }
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        // Created with its final mode: the secret is never readable by others, not even briefly.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create") }
        defer { unlink(temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let error = failure("write")
            close(fd)
            throw error
        }
        close(fd)
        guard link(temporary, path) == 0 else { throw failure("link") }
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
