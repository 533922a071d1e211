import Foundation
import Testing
@testable import Checkpoints
import Learning
import Policy

/// A fresh store in its own temporary directory.
func temporaryStore() throws -> CheckpointStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttad-ckpt-\(UUID().uuidString)").path
    return try CheckpointStore(directory: dir + "/nested")
}

let testConfig = PolicyConfig(observationSize: 5, actionSize: 3, actionLow: [-1, -2, 0], actionHigh: [1, 2, 0.5],
                              hiddenSizes: [8, 6], head: .gaussian, initialLogStd: -0.7)

/// A trainer with non-zero Adam state (one real update).
func trainedTrainer(seed: UInt64) -> PPOTrainer {
    let policy = Policy(config: testConfig, seed: seed)
    let trainer = PPOTrainer(policy: policy, reference: nil, config: PPOConfig { $0.targetKL = nil; $0.hardKL = 100 })
    var rng = PolicyRNG(seed: seed + 1)
    let obs = [Float](repeating: 0.3, count: 4 * 5)
    let group = (0..<2).map { i in
        Trajectory(observations: obs, samples: policy.sample(observations: obs, temperatures: [1, 1, 1, 1], rng: &rng),
                   temperature: 1, reward: Double(i))
    }
    _ = trainer.update(group: group, advantages: [-0.7, 0.7], rng: &rng)
    return trainer
}

func metadata(step: Int, createdAt: Double? = nil, parent: String? = nil) -> CheckpointMetadata {
    CheckpointMetadata(architecture: testConfig, robot: "reacher-sim", parent: parent, createdAt: createdAt,
                       metrics: ["success_rate": 0.625, "reward": 0.41], step: step, notes: ["task": "reach"])
}

/// Flips one bit at `offset` of the file.
func flipBit(_ path: String, at offset: Int) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0x10
    try data.write(to: URL(fileURLWithPath: path))
}

func headerLength(_ path: String) throws -> Int {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return (0..<8).reduce(0) { $0 | Int(data[$1]) << (8 * $1) }
}

@Suite struct CheckpointStoreTests {
    @Test func saveThenLoadRoundTripsWeightsOptimizerAndMetadata() throws {
        let store = try temporaryStore()
        let trainer = trainedTrainer(seed: 1)
        let info = try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: metadata(step: 3, parent: "base"))
        #expect(FileManager.default.fileExists(atPath: info.path))
        let (policy, optimizer, loaded) = try store.load(id: info.id)
        #expect(policy.namedTensors() == trainer.policy.namedTensors())
        #expect(optimizer.sorted { $0.name < $1.name } == trainer.optimizerTensors().sorted { $0.name < $1.name })
        #expect(loaded.metadata == info.metadata)
        #expect(loaded.metadata.parent == "base")
        #expect(loaded.metadata.metrics["success_rate"] == 0.625)
        let other = PPOTrainer(policy: policy, reference: nil, config: PPOConfig())
        try other.loadOptimizer(optimizer)
        #expect(other.optimizerStep == trainer.optimizerStep)
        // No temp files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func aTruncatedFileIsReportedDamaged() throws {
        let store = try temporaryStore()
        let p = Policy(config: testConfig, seed: 2)
        let info = try store.save(policy: p, optimizer: [], metadata: metadata(step: 1))
        let size = try FileManager.default.attributesOfItem(atPath: info.path)[.size] as! Int
        for keep in [size - 4, size / 2, 100, 5] {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: info.path))
            try handle.truncate(atOffset: UInt64(keep))
            try handle.close()
            #expect {
                try store.load(id: info.id)
            } throws: { error in
                "\(error)".contains("is damaged") && "\(error)".contains(info.path)
            }
        }
    }

    @Test func aFlippedBitInTheDataIsReportedDamaged() throws {
        let store = try temporaryStore()
        let info = try store.save(policy: Policy(config: testConfig, seed: 3), optimizer: [], metadata: metadata(step: 1))
        try flipBit(info.path, at: try headerLength(info.path) + 8 + 13)
        #expect {
            try store.load(id: info.id)
        } throws: { error in
            "\(error)".contains("is damaged") && "\(error)".contains("checksum")
        }
    }

    @Test func aFlippedBitInTheHeaderIsReportedDamaged() throws {
        let store = try temporaryStore()
        let info = try store.save(policy: Policy(config: testConfig, seed: 4), optimizer: [], metadata: metadata(step: 1))
        // Flip a bit inside the robot name (valid JSON either way: only the header checksum can tell).
        let data = try Data(contentsOf: URL(fileURLWithPath: info.path))
        let at = data.range(of: Data("reacher-sim".utf8))!.lowerBound + 2
        try flipBit(info.path, at: at)
        #expect {
            try store.load(id: info.id)
        } throws: { error in
            "\(error)".contains("is damaged")
        }
        // ... and list() shows it as unreadable, with the reason.
        let scan = store.scan()
        #expect(scan.readable.isEmpty)
        #expect(scan.unreadable.map(\.id) == [info.id])
        #expect(scan.unreadable[0].reason.contains("damaged"))
    }

    @Test func listIsNewestFirst() throws {
        let store = try temporaryStore()
        let p = Policy(config: testConfig, seed: 5)
        let a = try store.save(policy: p, optimizer: [], metadata: metadata(step: 1, createdAt: 1000))
        let c = try store.save(policy: p, optimizer: [], metadata: metadata(step: 3, createdAt: 3000))
        let b = try store.save(policy: p, optimizer: [], metadata: metadata(step: 2, createdAt: 2000))
        #expect(store.list().map(\.id) == [c.id, b.id, a.id])
    }

    @Test func loadLastGoodFallsBackToAnEarlierGoodCheckpointThatVerifies() throws {
        let store = try temporaryStore()
        #expect(store.lastGood == nil)
        #expect(throws: CheckpointError.self) { try store.loadLastGood() }
        let p1 = Policy(config: testConfig, seed: 6), p2 = Policy(config: testConfig, seed: 7)
        let first = try store.save(policy: p1, optimizer: [], metadata: metadata(step: 1, createdAt: 1000))
        let second = try store.save(policy: p2, optimizer: [], metadata: metadata(step: 2, createdAt: 2000))
        try store.markGood(id: first.id)
        try store.markGood(id: second.id)
        #expect(store.lastGood == second.id)
        var r = try store.loadLastGoodReporting()
        #expect(r.info.id == second.id && r.skipped.isEmpty)

        try flipBit(second.path, at: try headerLength(second.path) + 8 + 40)
        r = try store.loadLastGoodReporting()
        #expect(r.info.id == first.id)
        #expect(r.policy.namedTensors() == p1.namedTensors())
        #expect(r.skipped.map(\.id) == [second.id])
        #expect(r.skipped[0].reason.contains("damaged"))
        #expect(try store.loadLastGood().info.id == first.id)
    }

    @Test func pruneKeepsRecentGoodReferenceAndProtected() throws {
        let store = try temporaryStore()
        let p = Policy(config: testConfig, seed: 8)
        var ids: [String] = []
        for step in 0..<8 { ids.append(try store.save(policy: p, optimizer: [], metadata: metadata(step: step, createdAt: Double(1000 + step))).id) }
        try store.markReference(id: ids[0])
        try store.markGood(id: ids[2])
        let deleted = try store.prune(keepRecent: 2, protect: [ids[4]])
        #expect(Set(deleted) == Set([ids[1], ids[3], ids[5]]))
        #expect(Set(store.list().map(\.id)) == Set([ids[0], ids[2], ids[4], ids[6], ids[7]]))
        #expect(store.reference == ids[0])
    }

    @Test func invalidAndUnknownIDsAreRejected() throws {
        let store = try temporaryStore()
        #expect(throws: CheckpointError.invalidID("../etc/passwd")) { try store.load(id: "../etc/passwd") }
        #expect(throws: CheckpointError.notFound(id: "nope")) { try store.load(id: "nope") }
        #expect(throws: CheckpointError.notFound(id: "nope")) { try store.markGood(id: "nope") }
    }
}

@Suite struct SafeTensorsInteropTests {
    @Test func pythonSafetensorsReadsOurCheckpoint() throws {
        if ProcessInfo.processInfo.environment["TTAD_SKIP_PYTHON_TESTS"] == "1" { return }
        let store = try temporaryStore()
        let trainer = trainedTrainer(seed: 9)
        let info = try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: metadata(step: 5))

        let process = Process()
        let python = ProcessInfo.processInfo.environment["TTAD_PYTHON"] ?? "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", readCheckpointPython, info.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0,
                     "python could not read the checkpoint (needs `pip install safetensors numpy`; TTAD_SKIP_PYTHON_TESTS=1 skips): \(stderr)")

        let decoded = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        #expect(decoded["checksum_ok"] as? Bool == true)
        let meta = try #require(decoded["metadata"] as? [String: String])
        #expect(meta["robot"] == "reacher-sim")
        #expect(meta["format_version"] == "1")
        #expect(meta["step"] == "5")
        #expect(meta["id"] == info.id)
        let arch = try JSONDecoder().decode(PolicyConfig.self, from: Data(meta["architecture"]!.utf8))
        #expect(arch == testConfig)
        let tensors = try #require(decoded["tensors"] as? [String: [String: Any]])
        let expected = trainer.policy.namedTensors() + trainer.optimizerTensors()
        #expect(tensors.count == expected.count)
        for t in expected {
            let got = try #require(tensors[t.name], "python did not see \(t.name)")
            #expect(got["dtype"] as? String == "float32")
            #expect(got["shape"] as? [Int] == t.shape)
            let values = (got["values"] as? [Double] ?? []).map(Float.init)
            #expect(values == t.values, "\(t.name) differs")
        }
    }
}

/// Reads a ttad checkpoint with the reference `safetensors` package and prints it as JSON (run with
/// `python3 -c`; kept inline because SwiftPM would otherwise want a resource declaration for a .py file).
let readCheckpointPython = #"""
"""Reads a ttad checkpoint with the reference `safetensors` package and prints it as JSON.

Used by CheckpointsTests to prove the files are standard safetensors (needs: pip install safetensors numpy).
Prints {"metadata": {...}, "tensors": {name: {"shape": [...], "values": [...]}}, "checksum_ok": bool}.
"""
import hashlib
import json
import struct
import sys

from safetensors import safe_open
from safetensors.numpy import load_file


def main(path: str) -> None:
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    digest = "sha256:" + hashlib.sha256(raw[8 + n:]).hexdigest()
    out = {
        "metadata": metadata,
        "checksum_ok": digest == metadata.get("checksum"),
        "tensors": {
            name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": [float(x) for x in t.reshape(-1)]}
            for name, t in tensors.items()
        },
    }
    json.dump(out, sys.stdout)


main(sys.argv[1])
"""#

@Suite struct CheckpointDirectoryTests {
    @Test func aDirectoryThatCannotBeCreatedIsAnErrorNamingIt() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ttad-ckpt-file-\(UUID().uuidString)").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect {
            _ = try CheckpointStore(directory: file + "/sub")
        } throws: { error in
            "\(error)".contains(file)
        }
    }
}

/// What start-up relies on: leftovers of a killed write go, a damaged pointer can be replaced.
@Suite struct CheckpointStoreStartupTests {
    /// The pid of a process that has exited (so no writer of that pid is alive).
    static func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test("temp files a killed write left (full size, dead writer) are removed; a live writer's are kept")
    func staleTempFilesOfAKilledWriteAreRemoved() throws {
        let store = try temporaryStore()
        let trainer = trainedTrainer(seed: 3)
        let info = try store.save(policy: trainer.policy, optimizer: trainer.optimizerTensors(), metadata: metadata(step: 1))
        let full = try Data(contentsOf: URL(fileURLWithPath: info.path))
        let dead = try Self.deadPID()
        // Exactly what AtomicFile leaves when kill -9 lands between its write and its rename.
        let leftovers = [".\(info.id)-x.safetensors.tmp-\(dead)-123456", ".LAST_GOOD.tmp-\(dead)-42"]
        for name in leftovers { try full.write(to: URL(fileURLWithPath: store.directory + "/" + name)) }
        let live = ".other.safetensors.tmp-\(getppid())-7"  // the test runner's parent is alive
        try full.write(to: URL(fileURLWithPath: store.directory + "/" + live))
        let unrelated = ".keep-me"
        try Data("x".utf8).write(to: URL(fileURLWithPath: store.directory + "/" + unrelated))

        let removed = try store.removeStaleTempFiles()
        #expect(removed == leftovers.sorted())
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: store.directory))
        #expect(names.isDisjoint(with: leftovers))
        #expect(names.isSuperset(of: [live, unrelated, info.id + ".safetensors"]))
        #expect(try store.load(id: info.id).info.id == info.id)
    }

    @Test("loadFirstVerifying skips a damaged or missing id, says why, and loads the next that verifies")
    func loadFirstVerifyingSkipsWhatDoesNotVerify() throws {
        let store = try temporaryStore()
        let trainer = trainedTrainer(seed: 4)
        let older = try store.save(policy: trainer.policy, optimizer: [], metadata: metadata(step: 1, createdAt: 1000))
        let newer = try store.save(policy: trainer.policy, optimizer: [], metadata: metadata(step: 2, createdAt: 2000))
        try flipBit(newer.path, at: try headerLength(newer.path) + 8 + 3)
        let quiet = store.loadFirstVerifying(["ckpt-gone", newer.id, older.id])
        #expect(quiet.loaded?.info.id == older.id)
        #expect(quiet.skipped.map(\.id) == [newer.id], "a missing id is not this store's business unless asked")
        #expect(quiet.skipped.first?.reason.contains("checksum") == true)
        let loud = store.loadFirstVerifying(["bad id!", "ckpt-gone", newer.id], reportMissing: true)
        #expect(loud.loaded == nil)
        #expect(loud.skipped.map(\.id) == ["bad id!", "ckpt-gone", newer.id])
    }

    @Test("resetGood replaces a garbage LAST_GOOD with exactly the given ids")
    func resetGoodReplacesAGarbagePointer() throws {
        let store = try temporaryStore()
        let trainer = trainedTrainer(seed: 5)
        let a = try store.save(policy: trainer.policy, optimizer: [], metadata: metadata(step: 1, createdAt: 1000))
        let b = try store.save(policy: trainer.policy, optimizer: [], metadata: metadata(step: 2, createdAt: 2000))
        try Data([0x00, 0xff, 0x13, 0x0a, 0x41]).write(to: URL(fileURLWithPath: store.directory + "/LAST_GOOD"))
        #expect(store.lastGood != a.id)
        try store.resetGood(ids: [a.id, b.id, a.id])
        #expect(store.goodIDs() == [a.id, b.id])
        #expect(throws: CheckpointError.notFound(id: "ckpt-gone")) { try store.resetGood(ids: ["ckpt-gone"]) }
        #expect(store.goodIDs() == [a.id, b.id], "a refused reset changes nothing")
    }
}
