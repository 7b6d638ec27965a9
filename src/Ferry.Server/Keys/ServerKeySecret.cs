using System.Security.Cryptography;
using Ferry.Server.Auth;

namespace Ferry.Server.Keys;

/// <summary>The server's key secret: 32 random bytes in DIR/key-secret (owner-only), from which every runtime's keys are derived.</summary>
public static class ServerKeySecret
{
    public static byte[] LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, "key-secret");
        if (File.Exists(path))
        {
            var existing = Convert.FromHexString(File.ReadAllText(path).Trim());
            return existing.Length >= 32 ? existing : throw new InvalidDataException($"{path} is shorter than 32 bytes; restore it from backup.");
        }
        var secret = RandomNumberGenerator.GetBytes(32);
        OwnerOnlyFile.WriteNew(path, Convert.ToHexString(secret) + "\n");
        return secret;
    }
}
