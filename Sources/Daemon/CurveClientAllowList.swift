import Foundation
import ZeroMQ

/// The CURVE clients the TCP endpoint admits, read from a folder (`curve_client_keys_directory`):
/// one file `NAME.pub` per client, holding its Z85 public key. NAME identifies the client in the
/// journal.
///
/// A file holds the 40-character key on a line of its own (what `ttactl keygen` writes and what
/// libzmq's `zmq_curve_keypair` makes), or a CZMQ certificate line `public-key = "..."`; lines
/// starting with `#` are comments. Only `*.pub` files count: a secret key is 40 Z85 characters
/// too, so the name is what keeps one dropped here by mistake from being read as a client.
struct CurveClientAllowList: Sendable, Equatable {
    /// The folder read.
    let directory: String
    /// Raw 32-byte public key -> the client's name (its file name without `.pub`).
    let clients: [[UInt8]: String]
    /// Files that could not be read as a public key, each naming the file and what was wrong.
    let problems: [String]

    /// No client is admitted.
    var isEmpty: Bool { clients.isEmpty }

    /// The name of the client with this raw public key, or nil if it is not listed.
    func client(withKey key: [UInt8]) -> String? { clients[key] }

    /// Reads the folder now. Never throws: a missing folder or a bad file is listed in `problems`
    /// and admits no one, so callers decide whether that stops the daemon or only gets logged.
    static func read(directory: String) -> CurveClientAllowList {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            return CurveClientAllowList(directory: directory, clients: [:], problems: [
                "cannot read the client key folder \(directory): \(Self.reason(error))",
            ])
        }
        var clients: [[UInt8]: String] = [:]
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".pub") && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            let client = String(name.dropLast(".pub".count))
            do {
                let key = try publicKey(inFile: path)
                if let other = clients[key] {
                    problems.append("\(path): the same key as \(other).pub")
                } else {
                    clients[key] = client
                }
            } catch let problem as Problem {
                problems.append("\(path): \(problem.message)")
            } catch {
                problems.append("\(path): \(Self.reason(error))")
            }
        }
        return CurveClientAllowList(directory: directory, clients: clients, problems: problems)
    }

    /// Why one key file was refused.
    struct Problem: Error { let message: String }

    /// The raw public key in one key file.
    static func publicKey(inFile path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw Problem(message: "not a regular file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(message: "cannot read the file") }
        guard data.count <= 64 * 1024 else { throw Problem(message: "\(data.count) bytes; a public key file is one short line") }
        let text = String(decoding: data, as: UTF8.self)
        var keys: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("secret-key") {
                throw Problem(message: "holds a secret key; only public keys belong here (delete it and keep the secret with its owner)")
            }
            if line.hasPrefix("public-key"), let open = line.firstIndex(of: "\""), let close = line.lastIndex(of: "\""), open < close {
                keys.append(String(line[line.index(after: open)..<close]))
            } else if line.utf8.count == 40 && !line.contains(" ") {
                keys.append(line)
            } else if line == "curve" || line == "metadata" || line.contains("=") {
                continue  // the rest of a CZMQ certificate: section names and metadata
            } else {
                throw Problem(message: "expected a 40-character Z85 public key, found \"\(line.prefix(60))\"")
            }
        }
        guard keys.count == 1, let key = keys.first else {
            throw Problem(message: keys.isEmpty ? "no public key in the file (expected one 40-character Z85 line)"
                                                : "\(keys.count) keys; put one key per file")
        }
        do { return try ZMQCurveKeyPair.decode(key) } catch {
            throw Problem(message: "\"\(key)\" is not a Z85 key (40 characters of 0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%$#)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }
}
