using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.Store;

namespace Ferry.Server.Credentials;

/// <summary>
/// Keeps an envelope one node sealed for another: the runtime's credential key, sealed to the waiting node's one-off
/// sync key. The server checks who may hand it over and to whom, and never can open it.
/// </summary>
public sealed class CredentialSyncService(IFerryStore store)
{
    public async Task AcceptAsync(NodeRow from, SealedCredentialRequest request, CancellationToken ct)
    {
        var runtimeKey = await store.GetCredentialKeyAsync(from.RuntimeId, ct);
        if (runtimeKey is null || from.CredentialKeyVersion != runtimeKey.Value.Version)
            throw FerryException.Conflict(ErrorCodes.CredentialKeyMissing, "This node does not hold the runtime's current credential key, so it cannot hand it over.");
        var target = await store.GetNodeAsync(request.ForNodeId, ct);
        if (target is null || target.RuntimeId != from.RuntimeId)
            throw FerryException.NotFound(ErrorCodes.NodeNotFound, "The node the credential key was sealed for is not a node of this runtime.");
        int version;
        try
        {
            version = CredentialEnvelope.VersionOf(request.Envelope);
        }
        catch (FormatException e)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "envelope: " + e.Message);
        }
        if (version != runtimeKey.Value.Version)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"envelope is sealed for key version {version}; the runtime's is {runtimeKey.Value.Version}.");
        if (target.SyncPublicKey is null || !await store.SetSealedCredentialAsync(target.Id, target.SyncPublicKey, request.Envelope, ct))
            throw FerryException.Conflict(ErrorCodes.InvalidProperty, $"Node '{target.Name}' is not waiting for the credential key (any more).");
    }
}
