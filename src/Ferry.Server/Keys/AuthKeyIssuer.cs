using System.Security.Cryptography;
using System.Text;
using Ferry.Contracts.Keys;
using Ferry.Server.Store;

namespace Ferry.Server.Keys;

/// <summary>
/// Issues and checks a runtime's two authentication keys. A key's secret is derived, HMAC-SHA256, from the server's
/// key secret (a file in the data dir, owner-only) and the runtime id, key name and generation; the database keeps
/// only the SHA-256 of each secret. So a copy of the database cannot register a node, <c>listAuthKeys</c> still
/// returns the keys, and regenerating a key (a new generation) makes the old one useless. See docs/adr/0002.
/// </summary>
public sealed class AuthKeyIssuer(byte[] serverKeySecret, string publicUrl)
{
    public string PublicUrl { get; } = publicUrl;

    public AuthKey Issue(RuntimeRow runtime, string keyName)
    {
        var generation = keyName == AuthKey.KeyName1 ? runtime.Key1Generation : runtime.Key2Generation;
        return new AuthKey(PublicUrl, runtime.Factory, runtime.Name, runtime.Id, keyName, generation, Secret(runtime.Id, keyName, generation));
    }

    public string HashOf(Guid runtimeId, string keyName, int generation) => Hash(Secret(runtimeId, keyName, generation));

    public static string Hash(byte[] secret) => Convert.ToHexString(SHA256.HashData(secret));

    /// <summary>True when the key's secret matches the hash stored for its key name, compared in constant time.</summary>
    public static bool Matches(AuthKey key, string? storedHash) =>
        storedHash is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key.Secret)), Encoding.ASCII.GetBytes(storedHash));

    private byte[] Secret(Guid runtimeId, string keyName, int generation) =>
        HMACSHA256.HashData(serverKeySecret, Encoding.UTF8.GetBytes($"{runtimeId:D}|{keyName}|{generation}"));
}
