using System.Security.Cryptography;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Errors;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class CredentialSyncTests
{
    [Fact]
    public async Task A_node_without_the_credential_key_is_limited_until_another_node_hands_it_over_through_the_server()
    {
        var cp = await ControlPlane.StartAsync();
        var authKey = await cp.CreateSelfHostedAsync("ir1");
        using var runtimeKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var syncKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var syncPublic = Convert.ToBase64String(syncKey.ExportSubjectPublicKeyInfo());
        var a = await cp.RegisterAsync(authKey, "node-a", credentialKey: runtimeKey);
        var b = await cp.RegisterAsync(authKey, "node-b");

        await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);
        await cp.HeartbeatAsync(b.NodeId, credentialVersion: 0, syncKey: syncPublic);
        var whileBehind = await cp.Runtimes.GetStatusAsync("default", "ir1", default);
        var askedToSeal = await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);

        Assert.Equal(RuntimeState.Limited, whileBehind.Properties.State);
        var nodeB = whileBehind.Properties.TypeProperties.Nodes!.Single(n => n.NodeName == "node-b");
        Assert.Equal((NodeStatus.Limited, "False"), (nodeB.Status, nodeB.Capabilities["credentialInSync"]));
        Assert.Equal([(b.NodeId, syncPublic)], askedToSeal.CredentialSyncRequests!.Select(r => (r.NodeId, r.SyncPublicKey)));

        // node-a seals the key to node-b's sync key; the server keeps only the envelope and passes it on.
        var envelope = CredentialEnvelope.Seal(syncKey.ExportSubjectPublicKeyInfo(), 1, a.RuntimeId, runtimeKey.ExportPkcs8PrivateKey());
        var nodeA = (await cp.Store.GetNodeAsync(a.NodeId, default))!;
        await cp.CredentialSync.AcceptAsync(nodeA, new SealedCredentialRequest(b.NodeId, envelope), default);
        var delivered = await cp.HeartbeatAsync(b.NodeId, credentialVersion: 0, syncKey: syncPublic);

        Assert.Equal(envelope, delivered.SealedCredential);
        Assert.Equal(runtimeKey.ExportPkcs8PrivateKey(), CredentialEnvelope.Open(syncKey, b.RuntimeId, delivered.SealedCredential!));

        await cp.HeartbeatAsync(b.NodeId, credentialVersion: 1);
        var healed = await cp.Runtimes.GetStatusAsync("default", "ir1", default);
        Assert.Equal(RuntimeState.Online, healed.Properties.State);
        Assert.Null((await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1)).CredentialSyncRequests);
        var history = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 50, default)).Value;
        Assert.Contains(history, e => e.NodeName == "node-b" && e.Status == NodeStatus.Online && e.Cause == "credentials in sync");
    }

    [Fact]
    public async Task Only_a_holder_of_the_current_key_may_hand_it_over_and_only_to_a_waiting_node_of_its_runtime()
    {
        var cp = await ControlPlane.StartAsync();
        var authKey = await cp.CreateSelfHostedAsync("ir1");
        var otherKey = await cp.CreateSelfHostedAsync("ir2");
        using var runtimeKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var syncKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var a = await cp.RegisterAsync(authKey, "node-a", credentialKey: runtimeKey);
        var b = await cp.RegisterAsync(authKey, "node-b");
        var stranger = await cp.RegisterAsync(otherKey, "stranger");
        await cp.HeartbeatAsync(b.NodeId, credentialVersion: 0, syncKey: Convert.ToBase64String(syncKey.ExportSubjectPublicKeyInfo()));
        var envelope = CredentialEnvelope.Seal(syncKey.ExportSubjectPublicKeyInfo(), 1, a.RuntimeId, [1, 2, 3]);

        // node-a has not yet reported holding the key; node-b does not hold it; the stranger is of another runtime.
        var notYet = await Assert.ThrowsAsync<FerryException>(async () =>
            await cp.CredentialSync.AcceptAsync((await cp.Store.GetNodeAsync(a.NodeId, default))!, new(b.NodeId, envelope), default));
        await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);
        var holder = (await cp.Store.GetNodeAsync(a.NodeId, default))!;
        var foreign = await Assert.ThrowsAsync<FerryException>(() => cp.CredentialSync.AcceptAsync(holder, new(stranger.NodeId, envelope), default));
        var wrongVersion = await Assert.ThrowsAsync<FerryException>(() => cp.CredentialSync.AcceptAsync(holder,
            new(b.NodeId, CredentialEnvelope.Seal(syncKey.ExportSubjectPublicKeyInfo(), 2, a.RuntimeId, [1])), default));

        Assert.Equal(ErrorCodes.CredentialKeyMissing, notYet.Code);
        Assert.Equal(ErrorCodes.NodeNotFound, foreign.Code);
        Assert.Contains("version 2", wrongVersion.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_credentials_drops_a_stale_envelope_so_holders_seal_the_key_again()
    {
        var cp = await ControlPlane.StartAsync();
        var authKey = await cp.CreateSelfHostedAsync("ir1");
        using var runtimeKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var syncKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var syncPublic = Convert.ToBase64String(syncKey.ExportSubjectPublicKeyInfo());
        var a = await cp.RegisterAsync(authKey, "node-a", credentialKey: runtimeKey);
        var b = await cp.RegisterAsync(authKey, "node-b");
        await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);
        await cp.HeartbeatAsync(b.NodeId, syncKey: syncPublic);
        var holder = (await cp.Store.GetNodeAsync(a.NodeId, default))!;
        await cp.CredentialSync.AcceptAsync(holder, new(b.NodeId, CredentialEnvelope.Seal(syncKey.ExportSubjectPublicKeyInfo(), 1, a.RuntimeId, [9])), default);
        var servedOnce = await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);

        await cp.Runtimes.SyncCredentialsAsync("default", "ir1", default);
        var askedAgain = await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);

        Assert.Null(servedOnce.CredentialSyncRequests);
        Assert.Equal([b.NodeId], askedAgain.CredentialSyncRequests!.Select(r => r.NodeId));
    }
}
