using System.Security.Cryptography;
using Ferry.Contracts.Keys;
using Ferry.Contracts.Protocol;
using Ferry.Node.Heartbeats;
using Ferry.Node.Connection;
using Ferry.Node.Credentials;
using Ferry.Node.Identity;
using Ferry.Node.Metrics;

namespace Ferry.Node.Registration;

/// <summary>
/// Registers this machine as a node with an authentication key: makes the node's own ECDSA P-256 key pair, sends
/// the public half with the key, and saves the identity the server returns. The private key never leaves the machine.
/// </summary>
public sealed class NodeRegistrar(ServerClient server, NodeIdentityStore identities, CredentialStore credentials, TimeProvider time)
{
    /// <param name="keepKeyOf">When re-keying (dmgcmd -Key), the current identity, whose key pair and name are kept.</param>
    public async Task<NodeIdentity> RegisterAsync(string keyText, string? nodeName, NodeIdentity? keepKeyOf, CancellationToken ct)
    {
        var key = AuthKey.Parse(keyText); // throws AuthKeyFormatException naming the defect before anything is sent
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (keepKeyOf is not null)
            ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(keepKeyOf.PrivateKey), out _);
        // Offered as the runtime's credential key; the server adopts it only when the runtime has none yet.
        using var credentialKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var metrics = HostMetrics.Read();
        var request = new RegisterNodeRequest(
            keyText.Trim(),
            nodeName ?? keepKeyOf?.NodeName,
            Environment.MachineName,
            Convert.ToBase64String(ecdsa.ExportSubjectPublicKeyInfo()),
            NodeVersion.Current,
            Environment.ProcessorCount,
            metrics.TotalMemoryMB,
            HostMetrics.OperatingSystemName,
            Convert.ToBase64String(credentialKey.ExportSubjectPublicKeyInfo()));
        var response = await server.RegisterAsync(key.ServerUrl, request, ct);
        var identity = new NodeIdentity(response.NodeId, response.NodeName, response.Factory, response.Runtime, response.RuntimeId,
            key.ServerUrl, Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey()), time.GetUtcNow());
        identities.Save(identity);
        if (response.CredentialKeyAdopted)
            credentials.Save(response.RuntimeId, response.CredentialKeyVersion, credentialKey);
        return identity;
    }
}
