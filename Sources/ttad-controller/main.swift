// The reference robot controller for the bridge protocol (docs/bridge-protocol.md).
print("ttad-controller: not built yet")
