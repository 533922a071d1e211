import Checkpoints

/// The stored demonstrations as the daemon's requests see them (`demos`,
/// `remove_demonstrations`, `add_demonstrations`; docs/demonstration-format.md).
public protocol DemonstrationLibrary: AnyObject, Sendable {
    /// Every readable set (of one robot and task family when given), and every damaged file.
    func demonstrationSets(robot: String?, task: String?) -> (sets: [DemonstrationSummary], damaged: [DemonstrationStore.Damaged])
    /// Removes set `id`; `AdaptationError(.notFound)` when there is none.
    func removeDemonstrations(id: String) throws
    /// Checks a set file a client sent against `robot`'s sizes and `task`, then stores it with
    /// `fileName` as its source. Bad input: `AdaptationError(.invalid)` naming the field.
    func addDemonstrations(robot: String, task: String, fileName: String, file: [UInt8]) throws -> DemonstrationSummary
}
