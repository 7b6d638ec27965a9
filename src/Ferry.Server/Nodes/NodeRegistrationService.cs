using System.Security.Cryptography;
using Ferry.Contracts.Keys;
using Ferry.Contracts.Names;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Errors;
using Ferry.Server.Hosting;
using Ferry.Server.Keys;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>
/// Turns an authentication key into a durable node identity. Every way a key can be wrong gets its own answer:
/// unreadable, of a deleted runtime, regenerated, or simply not this runtime's.
/// </summary>
public sealed partial class NodeRegistrationService(IFerryStore store, ServerOptions options, StatusRecorder recorder, TimeProvider time,
    ILogger<NodeRegistrationService> logger)
{
    /// <summary>Registers the node, or refuses with the reason, which also goes to the server's event log.</summary>
    public async Task<RegisterNodeResponse> RegisterAsync(RegisterNodeRequest request, string? ipAddress, CancellationToken ct)
    {
        try
        {
            return await RegisterOrRefuseAsync(request, ipAddress, ct);
        }
        catch (FerryException e)
        {
            LogRefused(logger, string.IsNullOrWhiteSpace(request.NodeName) ? request.MachineName ?? "(unnamed)" : request.NodeName.Trim(), ipAddress ?? "an unknown address", e.Message);
            throw;
        }
    }

    private async Task<RegisterNodeResponse> RegisterOrRefuseAsync(RegisterNodeRequest request, string? ipAddress, CancellationToken ct)
    {
        var key = ParseKey(request.AuthKey);
        var runtime = await FindRuntimeAsync(key, ct);
        CheckSecret(key, runtime);

        var name = string.IsNullOrWhiteSpace(request.NodeName) ? request.MachineName : request.NodeName.Trim();
        if (ResourceName.ValidateNodeName(name) is { } nameError)
            throw FerryException.BadRequest(ErrorCodes.InvalidName, nameError);
        if (string.IsNullOrWhiteSpace(request.MachineName) || request.MachineName.Length > 256)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "machineName must be a non-empty string of at most 256 characters.");
        ValidatePublicKey(request.PublicKey, "publicKey");
        if (request.CredentialPublicKey is not null)
            ValidatePublicKey(request.CredentialPublicKey, "credentialPublicKey");

        var now = time.GetUtcNow();
        var max = ConcurrencyRule.MaxConcurrentJobs(request.ProcessorCount, request.TotalMemoryMB);
        var node = new NodeRow(Guid.NewGuid(), runtime.Id, name, request.MachineName, request.PublicKey, request.Version, now,
            LastConnectAt: now, LastStartAt: null, LastStopAt: null, LastHeartbeatAt: null, Stopped: false,
            ConcurrentJobsLimit: ConcurrencyRule.DefaultLimit(request.ProcessorCount, request.TotalMemoryMB), MaxConcurrentJobs: max,
            ProcessorCount: request.ProcessorCount, TotalMemoryMB: request.TotalMemoryMB, OperatingSystem: request.OperatingSystem,
            CpuUtilization: 0, AvailableMemoryMB: 0, ConcurrentJobsRunning: 0, SentBytes: 0, ReceivedBytes: 0, IpAddress: ipAddress,
            LastError: null, RecordedStatus: NodeStatus.Initializing);

        var existing = await store.GetNodeByNameAsync(runtime.Id, name, ct);
        if (existing is not null)
        {
            // The same node re-registering (dmgcmd -Key with its own key pair) keeps its place; anyone else is a name clash.
            if (existing.PublicKey != request.PublicKey)
                throw FerryException.Conflict(ErrorCodes.DuplicateNodeName,
                    $"Runtime '{runtime.Name}' already has a node named '{name}'. Give this node another name " +
                    $"(dmgcmd -RegisterNewNode \"<key>\" \"<name>\"), or delete the other with `ferry ir node delete --name {runtime.Name} --node-name {name}`.");
            node = node with { Id = existing.Id, ConcurrentJobsLimit = Math.Min(existing.ConcurrentJobsLimit, max), RecordedStatus = existing.RecordedStatus };
            await store.ReplaceNodeAsync(node, ct);
        }
        else if (!await store.InsertNodeAsync(node, options.MaxNodesPerRuntime, ct))
        {
            throw FerryException.Conflict(ErrorCodes.NodeLimitReached,
                $"Runtime '{runtime.Name}' already has {options.MaxNodesPerRuntime} nodes, the most allowed. Delete a node " +
                "(`ferry ir node delete`) or start the server with a higher --max-nodes-per-runtime.");
        }

        await recorder.NodeChangedAsync(node, NodeStatus.Initializing, existing is null ? "registered" : "registered again", ct);

        // The first node to join brings the runtime's credential key; later nodes get the key from a node that has it.
        var adopted = request.CredentialPublicKey is { } offered && await store.AdoptCredentialKeyAsync(runtime.Id, offered, ct);
        var credentialKey = await store.GetCredentialKeyAsync(runtime.Id, ct);
        return new RegisterNodeResponse(node.Id, node.Name, runtime.Factory, runtime.Name, runtime.Id, options.HeartbeatIntervalSeconds,
            credentialKey?.Version ?? 0, adopted);
    }

    private static AuthKey ParseKey(string? text)
    {
        try
        {
            return AuthKey.Parse(text);
        }
        catch (AuthKeyFormatException e)
        {
            var code = e.Defect switch
            {
                AuthKeyDefect.Truncated => ErrorCodes.KeyTruncated,
                AuthKeyDefect.Garbled => ErrorCodes.KeyGarbled,
                _ => ErrorCodes.KeyMalformed,
            };
            throw FerryException.BadRequest(code, e.Message);
        }
    }

    private async Task<RuntimeRow> FindRuntimeAsync(AuthKey key, CancellationToken ct)
    {
        if (await store.GetRuntimeByIdAsync(key.RuntimeId, ct) is { } runtime)
            return runtime;
        if (await store.GetDeletedRuntimeAsync(key.RuntimeId, ct) is { } deleted)
            throw new FerryException(StatusCodes.Status410Gone, ErrorCodes.RuntimeDeleted,
                $"This key belongs to integration runtime '{deleted.Name}' of factory '{deleted.Factory}', which was deleted on " +
                $"{deleted.DeletedAt:u}. Create a runtime (`ferry ir create`) and register with one of its keys.");
        throw FerryException.NotFound(ErrorCodes.RuntimeNotFound,
            $"This key names integration runtime '{key.Runtime}' of factory '{key.Factory}', which this server does not have: " +
            "the key comes from another server. Use a key from `ferry ir list-auth-key` on the server you want to join.");
    }

    private static void CheckSecret(AuthKey key, RuntimeRow runtime)
    {
        var (generation, hash) = key.KeyName == AuthKey.KeyName1
            ? (runtime.Key1Generation, runtime.Key1Hash)
            : (runtime.Key2Generation, runtime.Key2Hash);
        if (key.Generation < generation)
            throw FerryException.Unauthorized(ErrorCodes.KeyRegenerated,
                $"This {key.KeyName} of runtime '{runtime.Name}' was regenerated and can no longer register nodes " +
                "(nodes already registered keep working). Get the current key with `ferry ir list-auth-key`.");
        if (key.Generation > generation || !AuthKeyIssuer.Matches(key, hash))
            throw FerryException.Unauthorized(ErrorCodes.KeyInvalid,
                $"This key is not a valid {key.KeyName} of runtime '{runtime.Name}'. Copy the key again from `ferry ir list-auth-key`.");
    }

    private static void ValidatePublicKey(string? publicKey, string property)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey ?? ""), out _);
            if (key.KeySize != 256)
                throw new CryptographicException("not P-256");
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{property} must be a base64 SubjectPublicKeyInfo of a P-256 key.");
        }
    }

    [LoggerMessage(EventId = 2102, EventName = "RegistrationRefused", Level = LogLevel.Warning, Message = "Refused to register node {NodeName} from {Address}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string nodeName, string address, string reason);
}
