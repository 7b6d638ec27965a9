using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;

namespace Ferry.Node.Credentials;

/// <summary>Opens a linked service's encryptedCredential with the runtime's credential key, in memory, for one request or job.</summary>
public sealed class CredentialOpener(CredentialStore credentials)
{
    public JsonObject Open(NodeIdentity? identity, string envelope)
    {
        if (identity is null)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, "This node is not registered, so it holds no credential key.");
        CredentialMaterial? material;
        try
        {
            material = credentials.Load();
        }
        catch (NodeSetupException e)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, e.Message);
        }
        if (material is null || material.RuntimeId != identity.RuntimeId)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                $"Node '{identity.NodeName}' does not hold runtime '{identity.Runtime}''s credential key yet; it gets it from another node within a heartbeat or two.");
        int version;
        try
        {
            version = CredentialEnvelope.VersionOf(envelope);
        }
        catch (FormatException e)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable, $"The linked service's encryptedCredential is unreadable: {e.Message}");
        }
        if (version != material.Version)
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                $"The linked service's credential is sealed to credential key version {version}, and node '{identity.NodeName}' holds version {material.Version}. " +
                "Save the linked service again so it is sealed to the current key.");
        using var key = credentials.OpenPrivateKey(material);
        byte[] plain;
        try
        {
            plain = CredentialEnvelope.Open(key, identity.RuntimeId, envelope);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                "The linked service's encryptedCredential does not open with this runtime's credential key (sealed for another runtime, or damaged). Save the linked service again.");
        }
        try
        {
            return JsonNode.Parse(plain) as JsonObject
                   ?? throw new DataStoreException(ErrorCodes.CredentialUnavailable, "The opened credential is not a JSON object.");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

}
