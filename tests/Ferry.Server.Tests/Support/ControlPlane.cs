using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Server.Credentials;
using Ferry.Server.FactoryResources;
using Ferry.Server.Hosting;
using Ferry.Server.IntegrationRuntimes;
using Ferry.Server.Keys;
using Ferry.Server.Nodes;
using Ferry.Server.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Server.Tests.Support;

/// <summary>The control plane's services wired over a real SQLite store and a fake clock, without HTTP.</summary>
public sealed class ControlPlane
{
    public required IFerryStore Store { get; init; }
    public required FakeTime Time { get; init; }
    public required ServerOptions Options { get; init; }
    public required IntegrationRuntimeService Runtimes { get; init; }
    public required NodeRegistrationService Registration { get; init; }
    public required NodeStatusMonitor Monitor { get; init; }
    public required HeartbeatReceiver Heartbeats { get; init; }
    public required FactoryResourceService Resources { get; init; }
    public required CredentialSyncService CredentialSync { get; init; }
    public required CredentialRotationService CredentialRotation { get; init; }

    public static async Task<ControlPlane> StartAsync(ServerOptions? options = null)
    {
        options ??= new ServerOptions();
        var time = new FakeTime();
        var store = await StoreFactory.SqliteAsync();
        await store.EnsureFactoryAsync("default", time.GetUtcNow(), default);
        var recorder = new StatusRecorder(store, options, time, NullLogger<StatusRecorder>.Instance);
        var rotation = new CredentialRotationService(store, time);
        var heartbeats = new HeartbeatReceiver(store, recorder, rotation, options, time);
        var resources = new FactoryResourceService(store, new LinkedServiceSecrets(store), time);
        var keys = new AuthKeyIssuer(RandomNumberGenerator.GetBytes(32), "http://127.0.0.1:9");
        return new ControlPlane
        {
            Store = store,
            Time = time,
            Options = options,
            Resources = resources,
            Runtimes = new IntegrationRuntimeService(store, keys, recorder, resources, options, time),
            Registration = new NodeRegistrationService(store, options, recorder, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<NodeRegistrationService>.Instance),
            Heartbeats = heartbeats,
            CredentialSync = new CredentialSyncService(store),
            CredentialRotation = rotation,
            Monitor = new NodeStatusMonitor(store, recorder, options, time, NullLogger<NodeStatusMonitor>.Instance),
        };
    }

    public async Task<string> CreateSelfHostedAsync(string name)
    {
        await Runtimes.CreateOrUpdateAsync("default", name, new JsonObject { ["properties"] = new JsonObject { ["type"] = "SelfHosted" } }, default);
        return (await Runtimes.ListAuthKeysAsync("default", name, default)).AuthKey1;
    }

    public async Task<HeartbeatResponse> HeartbeatAsync(Guid nodeId, string? lastError = null, int credentialVersion = 0, string? syncKey = null,
        TimeSpan nodeClockOffset = default, string version = "0.1.0")
    {
        var node = (await Store.GetNodeAsync(nodeId, default))!;
        var now = Time.GetUtcNow();
        return await Heartbeats.ReceiveAsync(node, new HeartbeatRequest(version, NodeProtocol.Version, now, now + nodeClockOffset, 5, 1024, 4096, 2, 0, 4, 0, 0, lastError,
            credentialVersion, syncKey), "127.0.0.1", default);
    }

    public Task<RegisterNodeResponse> RegisterAsync(string key, string? nodeName, ECDsa? nodeKey = null, ECDiffieHellman? credentialKey = null)
    {
        nodeKey ??= ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Registration.RegisterAsync(new RegisterNodeRequest(key, nodeName, "machine-1", Convert.ToBase64String(nodeKey.ExportSubjectPublicKeyInfo()),
            "0.1.0", 2, 8192, "Linux", credentialKey is null ? null : Convert.ToBase64String(credentialKey.ExportSubjectPublicKeyInfo())), "127.0.0.1", default);
    }
}
