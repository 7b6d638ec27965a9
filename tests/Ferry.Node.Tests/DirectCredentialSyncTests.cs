using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Contracts;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Protocol;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;
using Ferry.Node.Settings;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Node.Tests;

/// <summary>The holder's side of the direct node-to-node path: who it answers, and what it answers with.</summary>
public sealed class DirectCredentialSyncTests : IDisposable
{
    private readonly NodeDataDirectory _dir = new(Path.Combine(Path.GetTempPath(), "ferry-direct-" + Guid.NewGuid().ToString("N")));
    private readonly Guid _runtimeId = Guid.NewGuid();
    private readonly ECDiffieHellman _runtimeKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _waitingIdentity = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDiffieHellman _waitingSyncKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly Guid _waitingId = Guid.NewGuid();
    private readonly NodeSettingsStore _settings;
    private readonly CredentialSync _sync;
    private readonly NodeIdentity _holder;
    private readonly ControlPlaneHttp _http = new(new ProxySettings(ProxySettings.None), null);

    public DirectCredentialSyncTests()
    {
        _dir.Create();
        var credentials = new CredentialStore(_dir, new SecretProtector(_dir));
        credentials.Save(_runtimeId, 1, _runtimeKey);
        _settings = new NodeSettingsStore(_dir);
        using var holderKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // A server nobody listens on: the relayed hand-over fails quietly, the direct one is what is tested.
        _holder = new NodeIdentity(Guid.NewGuid(), "node-a", "default", "ir1", _runtimeId, "http://127.0.0.1:1",
            Convert.ToBase64String(holderKey.ExportPkcs8PrivateKey()), DateTimeOffset.UtcNow);
        _sync = new CredentialSync(new ServerClient(_http, TimeProvider.System), credentials, _settings, TimeProvider.System, NullLogger<CredentialSync>.Instance);
    }

    private string SyncPublic => Convert.ToBase64String(_waitingSyncKey.ExportSubjectPublicKeyInfo());

    private Task<bool> ServerListsTheWaitingNodeAsync() => _sync.HandleAsync(_holder, 1, new HeartbeatResponse(2, 4, DateTimeOffset.UtcNow, 1,
        Convert.ToBase64String(_runtimeKey.ExportSubjectPublicKeyInfo()),
        [new CredentialSyncRequest(_waitingId, SyncPublic, "node-b", Convert.ToBase64String(_waitingIdentity.ExportSubjectPublicKeyInfo()),
            CredentialSyncProof.Sign(_waitingIdentity, _runtimeId, SyncPublic))]), CancellationToken.None);

    private (int Status, DirectSyncResponse? Response) Ask(ECDsa signer, Guid? asNode = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new DirectSyncRequest(asNode ?? _waitingId, SyncPublic, CredentialSyncProof.Sign(_waitingIdentity, _runtimeId, SyncPublic)),
            FerryJsonContext.Default.DirectSyncRequest);
        var signature = NodeRequestSignature.Sign(signer, asNode ?? _waitingId, "POST", CredentialSync.DirectSyncPath, DateTimeOffset.UtcNow, body);
        var (status, _, response) = _sync.AnswerDirect(_holder, signature.ToHeaderValue(), body);
        return (status, response);
    }

    [Fact]
    public async Task A_listed_waiting_node_that_signs_its_call_gets_the_key_sealed_to_its_sync_key_only()
    {
        Assert.Equal(403, Ask(_waitingIdentity).Status); // not listed by the server yet
        await ServerListsTheWaitingNodeAsync();

        var (status, response) = Ask(_waitingIdentity);

        Assert.Equal(200, status);
        Assert.Equal(_runtimeKey.ExportPkcs8PrivateKey(), CredentialEnvelope.Open(_waitingSyncKey, _runtimeId, response!.Envelope));
        using var stranger = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(stranger, _runtimeId, response.Envelope));
    }

    [Fact]
    public async Task A_call_signed_by_another_key_or_for_another_node_is_refused()
    {
        await ServerListsTheWaitingNodeAsync();
        using var impostor = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Equal(401, Ask(impostor).Status);
        Assert.Equal(403, Ask(_waitingIdentity, asNode: Guid.NewGuid()).Status);
    }

    [Fact]
    public async Task With_approval_required_only_an_approved_fingerprint_gets_the_key()
    {
        _settings.Save(new NodeSettings(NodeApprovalRequired: true));
        await ServerListsTheWaitingNodeAsync();
        Assert.Equal(403, Ask(_waitingIdentity).Status);

        _settings.Save(_settings.Load() with { ApprovedNodes = [NodeFingerprint.Of(_waitingIdentity.ExportSubjectPublicKeyInfo())] });

        Assert.Equal(200, Ask(_waitingIdentity).Status);
    }

    public void Dispose()
    {
        _runtimeKey.Dispose();
        _waitingIdentity.Dispose();
        _waitingSyncKey.Dispose();
        _http.Dispose();
        try { Directory.Delete(_dir.Path, recursive: true); } catch (IOException) { }
    }
}
