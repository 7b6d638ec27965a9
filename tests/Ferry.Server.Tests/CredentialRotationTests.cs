using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class CredentialRotationTests
{
    private const string Secret = "{\"password\":\"rotate-me\"}";

    private static async Task<(ControlPlane Cp, RegisterNodeResponse A, RegisterNodeResponse B, ECDiffieHellman Key)> TwoNodesWithASecretAsync()
    {
        var cp = await ControlPlane.StartAsync();
        var authKey = await cp.CreateSelfHostedAsync("ir1");
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var a = await cp.RegisterAsync(authKey, "node-a", credentialKey: key);
        var b = await cp.RegisterAsync(authKey, "node-b");
        await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);
        await cp.HeartbeatAsync(b.NodeId, credentialVersion: 1);
        var envelope = CredentialEnvelope.Seal(key.ExportSubjectPublicKeyInfo(), 1, a.RuntimeId, Encoding.UTF8.GetBytes(Secret));
        await cp.Resources.CreateOrUpdateAsync("default", "linkedservices", "pg", JsonNode.Parse($$"""
            {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "ir1", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "db", "encryptedCredential": "{{envelope}}"} } }
            """)!.AsObject(), default);
        return (cp, a, b, key);
    }

    private static async Task<string> StoredEnvelopeAsync(ControlPlane cp) =>
        (await cp.Resources.GetAsync("default", "linkedservices", "pg", default)).Properties["typeProperties"]!["encryptedCredential"]!.GetValue<string>();

    [Fact]
    public async Task Removing_a_node_makes_a_remaining_node_rotate_the_key_and_reseal_every_secret()
    {
        var (cp, a, b, oldKey) = await TwoNodesWithASecretAsync();
        using (oldKey)
        {
            Assert.True(await cp.Runtimes.DeleteNodeAsync("default", "ir1", "node-b", default));

            var asked = await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1);
            var rotation = Assert.IsType<CredentialRotation>(asked.CredentialRotation);
            Assert.Equal(2, rotation.NewVersion);
            var stored = Assert.Single(rotation.Credentials);
            Assert.Equal(("default", "pg"), (stored.Factory, stored.LinkedService));

            // What node-a does: open with the old key, seal to a new one, send both back.
            using var newKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var plain = CredentialEnvelope.Open(oldKey, a.RuntimeId, stored.Envelope);
            var resealed = CredentialEnvelope.Seal(newKey.ExportSubjectPublicKeyInfo(), 2, a.RuntimeId, plain);
            var nodeA = (await cp.Store.GetNodeAsync(a.NodeId, default))!;
            await cp.CredentialRotation.AcceptAsync(nodeA, new CredentialRotationRequest(1, 2, Convert.ToBase64String(newKey.ExportSubjectPublicKeyInfo()),
                [new ResealedCredential("default", "pg", stored.Envelope, resealed)]), default);

            var now = await StoredEnvelopeAsync(cp);
            Assert.Equal(Secret, Encoding.UTF8.GetString(CredentialEnvelope.Open(newKey, a.RuntimeId, now)));
            Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(oldKey, a.RuntimeId, now));
            Assert.Equal((2, Convert.ToBase64String(newKey.ExportSubjectPublicKeyInfo())), await cp.Store.GetCredentialKeyAsync(a.RuntimeId, default));
            Assert.Null((await cp.HeartbeatAsync(a.NodeId, credentialVersion: 2)).CredentialRotation);
            var history = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 50, default)).Value;
            Assert.Contains(history, e => e.Cause.StartsWith("credential key rotated to version 2 by node node-a", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_rotation_that_misses_a_secret_or_comes_from_a_node_without_the_key_is_refused_and_changes_nothing()
    {
        var (cp, a, b, oldKey) = await TwoNodesWithASecretAsync();
        using (oldKey)
        {
            var authKey = (await cp.Runtimes.ListAuthKeysAsync("default", "ir1", default)).AuthKey1;
            var c = await cp.RegisterAsync(authKey, "node-c");
            await cp.HeartbeatAsync(c.NodeId, credentialVersion: 0);
            await cp.Runtimes.DeleteNodeAsync("default", "ir1", "node-b", default);
            var before = await StoredEnvelopeAsync(cp);
            using var newKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var newPublic = Convert.ToBase64String(newKey.ExportSubjectPublicKeyInfo());

            var missing = await Assert.ThrowsAsync<FerryException>(async () => await cp.CredentialRotation.AcceptAsync(
                (await cp.Store.GetNodeAsync(a.NodeId, default))!, new CredentialRotationRequest(1, 2, newPublic, []), default));
            var withoutKey = await Assert.ThrowsAsync<FerryException>(async () => await cp.CredentialRotation.AcceptAsync(
                (await cp.Store.GetNodeAsync(c.NodeId, default))!, new CredentialRotationRequest(1, 2, newPublic, []), default));

            Assert.Contains("changed while they were re-sealed", missing.Message, StringComparison.Ordinal);
            Assert.Equal(ErrorCodes.CredentialKeyMissing, withoutKey.Code);
            Assert.Equal(before, await StoredEnvelopeAsync(cp));
            Assert.Equal(1, (await cp.Store.GetCredentialKeyAsync(a.RuntimeId, default))!.Value.Version);
            Assert.Null((await cp.HeartbeatAsync(c.NodeId, credentialVersion: 0)).CredentialRotation);
        }
    }

    [Fact]
    public async Task Without_a_removal_no_rotation_is_asked_for()
    {
        var (cp, a, _, key) = await TwoNodesWithASecretAsync();
        using (key)
            Assert.Null((await cp.HeartbeatAsync(a.NodeId, credentialVersion: 1)).CredentialRotation);
    }
}
