import LifeboatCore

/// The `runCreated` event a store records for a new run: its header's `documentsHash` filled in
/// from the pinned documents, or checked against them when the caller gave one.
package enum CreatedEvent {
    package static func pinning(_ created: RunEvent, id: String, documents: [DocumentSource]) throws(LifeboatError) -> RunEvent {
        guard case .runCreated(var header) = created.kind, created.runID == id else {
            throw LifeboatError(.internalError, "createRun(\(id)) needs the runCreated event of run \(id)")
        }
        let hash = Digests.documentsHash(documents)
        if header.documentsHash.isEmpty {
            header.documentsHash = hash
        } else if header.documentsHash != hash {
            throw LifeboatError(
                .internalError, "run \(id): documentsHash \(header.documentsHash) does not match its documents (\(hash))")
        }
        var pinned = created
        pinned.kind = .runCreated(header)
        return pinned
    }
}
