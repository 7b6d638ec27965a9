using System.Security.Cryptography;
using System.Text;

namespace Ferry.Contracts.Credentials;

/// <summary>
/// A node's identity key as people compare it: SHA-256 of its public key (SubjectPublicKeyInfo), the first 20 bytes
/// in hex groups of four (<c>3F2A-91C0-...</c>). `dmgcmd -Status` shows it on the node; `dmgcmd -ApproveNode` takes it
/// on a node that already holds the credential key.
/// </summary>
public static class NodeFingerprint
{
    public static string Of(string publicKeyBase64) => Of(Convert.FromBase64String(publicKeyBase64));

    public static string Of(byte[] subjectPublicKeyInfo)
    {
        var hex = Convert.ToHexString(SHA256.HashData(subjectPublicKeyInfo), 0, 20);
        return string.Join('-', Enumerable.Range(0, hex.Length / 4).Select(i => hex.Substring(i * 4, 4)));
    }

    /// <summary>The form people type it in: case and separators ignored.</summary>
    public static string Normalize(string fingerprint)
    {
        var hex = new string(fingerprint.Where(char.IsAsciiHexDigit).Select(char.ToUpperInvariant).ToArray());
        return hex.Length == 40 ? string.Join('-', Enumerable.Range(0, 10).Select(i => hex.Substring(i * 4, 4))) : "";
    }
}

/// <summary>
/// A waiting node's proof that its one-off sync key is its own: signed with its identity key over the runtime id and
/// the sync key. A holder seals the credential key only to a sync key so signed, so the control plane cannot put a key
/// of its own in between.
/// </summary>
public static class CredentialSyncProof
{
    private static byte[] Message(Guid runtimeId, string syncPublicKey) => Encoding.UTF8.GetBytes($"ferry-sync1\n{runtimeId:D}\n{syncPublicKey}");

    public static string Sign(ECDsa identityKey, Guid runtimeId, string syncPublicKey) =>
        Convert.ToBase64String(identityKey.SignData(Message(runtimeId, syncPublicKey), HashAlgorithmName.SHA256));

    public static bool Verify(string identityPublicKey, Guid runtimeId, string syncPublicKey, string? signature)
    {
        if (signature is null)
            return false;
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(identityPublicKey), out _);
            return key.VerifyData(Message(runtimeId, syncPublicKey), Convert.FromBase64String(signature), HashAlgorithmName.SHA256);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }
}
