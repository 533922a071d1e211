/// Everything the daemon's request handler needs from the adaptation side, as one name.
/// `AdaptationEngine` is the real one. Each daemon part takes only the protocol it uses: the
/// control loop a `TaskRunner`, the storage guard an `AdaptationStatusSource`, and so on.
public typealias AdaptationService = RobotCatalog & TaskRunner & PolicyLineageControl & AdaptationControls & AdaptationStatusSource & OperatorLabelling
    & DemonstrationLibrary
