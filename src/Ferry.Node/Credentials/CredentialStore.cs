using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Node.Hosting;

namespace Ferry.Node.Credentials;

/// <summary>Reads and writes the node's credential material (credentials.json, owner-only); the private key is only ever on disk encrypted.</summary>
public sealed class CredentialStore(NodeDataDirectory dir, SecretProtector protector)
{
    public CredentialMaterial? Load()
    {
        if (!File.Exists(dir.CredentialsFile))
            return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(dir.CredentialsFile), NodeJsonContext.Default.CredentialMaterial);
        }
        catch (JsonException e)
        {
            throw new NodeSetupException($"The credential material '{dir.CredentialsFile}' is unreadable ({e.Message}); restore it from a backup.");
        }
    }

    /// <summary>The version of the runtime's credential key this node holds for <paramref name="runtimeId"/>, 0 when none.</summary>
    public int VersionFor(Guid runtimeId) => Load() is { } m && m.RuntimeId == runtimeId ? m.Version : 0;

    public void Save(Guid runtimeId, int version, ECDiffieHellman key) => Write(dir.CredentialsFile, runtimeId, version, key);

    private void Write(string path, Guid runtimeId, int version, ECDiffieHellman key)
    {
        var privateKey = key.ExportPkcs8PrivateKey();
        try
        {
            var material = new CredentialMaterial(runtimeId, version, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()),
                Convert.ToBase64String(protector.Protect(privateKey)));
            OwnerOnlyFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(material, NodeJsonContext.Default.CredentialMaterial));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    private string PendingFile => dir.CredentialsFile + ".next";

    /// <summary>
    /// Keeps a rotated key aside (encrypted like the current one) until the server has taken it: losing it after the
    /// server swapped the runtime's secrets to it would lose them all.
    /// </summary>
    public void SavePending(Guid runtimeId, int version, ECDiffieHellman key) => Write(PendingFile, runtimeId, version, key);

    /// <summary>
    /// Makes the key kept aside the current one when it is the runtime's published key at <paramref name="version"/>;
    /// drops it when the runtime moved on without it (another node's rotation won). True when promoted.
    /// </summary>
    public bool PromotePending(int version, string? publicKey)
    {
        if (!File.Exists(PendingFile))
            return false;
        CredentialMaterial? pending;
        try
        {
            pending = JsonSerializer.Deserialize(File.ReadAllBytes(PendingFile), NodeJsonContext.Default.CredentialMaterial);
        }
        catch (JsonException)
        {
            pending = null;
        }
        if (pending is not null && pending.Version == version && pending.PublicKey == publicKey)
        {
            File.Move(PendingFile, dir.CredentialsFile, overwrite: true);
            return true;
        }
        if (pending is null || pending.Version <= version)
            File.Delete(PendingFile);
        return false;
    }

    /// <summary>The private key, decrypted in memory for the time the caller needs it.</summary>
    public ECDiffieHellman OpenPrivateKey(CredentialMaterial material)
    {
        var privateKey = protector.Unprotect(Convert.FromBase64String(material.ProtectedPrivateKey));
        try
        {
            var key = ECDiffieHellman.Create();
            key.ImportPkcs8PrivateKey(privateKey, out _);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }
}
