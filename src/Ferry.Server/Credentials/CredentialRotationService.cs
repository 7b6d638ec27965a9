using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Store;

namespace Ferry.Server.Credentials;

/// <summary>
/// Rotation of a runtime's credential key after a node is removed, so the removed node can read nothing saved from then
/// on, nor anything stored before: a remaining node that holds the key makes a new one, re-seals every stored secret of
/// the runtime to it and sends them back; the server swaps key and secrets in one transaction. It never sees a secret:
/// it hands out envelopes and takes envelopes back. The other nodes then get the new key by credential sync.
/// </summary>
public sealed class CredentialRotationService(IFerryStore store, TimeProvider time)
{
    /// <summary>The rotation to ask of a node that holds the runtime's current key, while one is pending: the next version and every stored secret.</summary>
    public async Task<CredentialRotation?> PendingForAsync(RuntimeRow runtime, int runtimeVersion, CancellationToken ct) =>
        runtimeVersion == 0 ? null : new CredentialRotation(runtimeVersion + 1, await StoredCredentialsAsync(runtime, runtimeVersion, ct));

    public async Task AcceptAsync(NodeRow from, CredentialRotationRequest request, CancellationToken ct)
    {
        var key = await store.GetCredentialKeyAsync(from.RuntimeId, ct);
        var runtime = await store.GetRuntimeByIdAsync(from.RuntimeId, ct);
        if (key is null || runtime is null || !await store.IsCredentialRotationPendingAsync(from.RuntimeId, ct))
            throw FerryException.Conflict(ErrorCodes.InvalidProperty, "No credential key rotation is pending for this runtime.");
        if (from.CredentialKeyVersion != key.Value.Version || request.FromVersion != key.Value.Version || request.NewVersion != key.Value.Version + 1)
            throw FerryException.Conflict(ErrorCodes.CredentialKeyMissing,
                $"The rotation must go from the runtime's current key version {key.Value.Version} to {key.Value.Version + 1}, by a node that holds it.");
        CheckPublicKey(request.NewPublicKey);

        var stored = await StoredCredentialsAsync(runtime, key.Value.Version, ct);
        var sent = request.Resealed.ToDictionary(r => (r.Factory, r.LinkedService.ToUpperInvariant()));
        if (stored.Count != sent.Count || stored.Any(s => !sent.TryGetValue((s.Factory, s.LinkedService.ToUpperInvariant()), out var r) || r.OldEnvelope != s.Envelope))
            throw FerryException.Conflict(ErrorCodes.InvalidProperty, "The runtime's secrets changed while they were re-sealed; the rotation is asked for again.");
        foreach (var r in request.Resealed)
        {
            if (!IsEnvelopeOf(r.NewEnvelope, request.NewVersion))
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"The secret of linked service '{r.LinkedService}' is not re-sealed to version {request.NewVersion}.");
        }
        if (!await store.RotateCredentialKeyAsync(from.RuntimeId, key.Value.Version, request.NewPublicKey, request.Resealed, Etag.New(), ct))
            throw FerryException.Conflict(ErrorCodes.InvalidProperty, "The runtime's key or secrets changed while they were re-sealed; the rotation is asked for again.");
        await store.AddStatusEventAsync(from.RuntimeId, new StatusEvent(time.GetUtcNow(), null, runtime.RecordedState,
            $"credential key rotated to version {request.NewVersion} by node {from.Name} ({request.Resealed.Count} secret(s) re-sealed); " +
            "removed nodes cannot open them, and the other nodes get the new key from a node that holds it"), ct);
    }

    /// <summary>Every linked service connecting via the runtime whose encryptedCredential is sealed to <paramref name="version"/>.</summary>
    private async Task<List<StoredCredential>> StoredCredentialsAsync(RuntimeRow runtime, int version, CancellationToken ct)
    {
        var result = new List<StoredCredential>();
        foreach (var row in await store.ListResourcesAsync(runtime.Factory, FactoryResourceService.LinkedServices, ct))
        {
            var properties = JsonNode.Parse(row.PropertiesJson);
            if (!string.Equals(properties?["connectVia"]?["referenceName"]?.GetValue<string>(), runtime.Name, StringComparison.OrdinalIgnoreCase))
                continue;
            if (properties?["typeProperties"]?["encryptedCredential"]?.GetValue<string>() is { } envelope && IsEnvelopeOf(envelope, version))
                result.Add(new StoredCredential(row.Factory, row.Name, envelope));
        }
        return result;
    }

    private static bool IsEnvelopeOf(string envelope, int version)
    {
        try
        {
            return CredentialEnvelope.VersionOf(envelope) == version;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static void CheckPublicKey(string publicKey)
    {
        try
        {
            using var key = ECDiffieHellman.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey), out _);
            if (key.KeySize != 256)
                throw new CryptographicException("not a P-256 key");
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"The new credential key is not a P-256 public key: {e.Message}");
        }
    }
}
