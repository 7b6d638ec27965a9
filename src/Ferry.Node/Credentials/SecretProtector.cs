using System.Security.Cryptography;
using Ferry.Node.Hosting;

namespace Ferry.Node.Credentials;

/// <summary>
/// Encrypts the node's credential material at rest. Windows: DPAPI for the service account. Elsewhere: AES-256-GCM
/// under a random key in <c>credential-protector.key</c>, a file only the service account can read (0600, in the
/// 0700 data dir), kept apart from the material it protects.
/// </summary>
public sealed class SecretProtector(NodeDataDirectory dir)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public byte[] Protect(byte[] plaintext)
    {
        if (OperatingSystem.IsWindows())
            return ProtectedData.Protect(plaintext, null, DataProtectionScope.CurrentUser);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        nonce.CopyTo(output, 0);
        using var aes = new AesGcm(Key(create: true), TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length));
        return output;
    }

    public byte[] Unprotect(byte[] protectedBytes)
    {
        if (OperatingSystem.IsWindows())
            return ProtectedData.Unprotect(protectedBytes, null, DataProtectionScope.CurrentUser);
        if (protectedBytes.Length < NonceSize + TagSize)
            throw new CryptographicException("The protected credential material is too short.");
        var length = protectedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        using var aes = new AesGcm(Key(create: false), TagSize);
        aes.Decrypt(protectedBytes.AsSpan(0, NonceSize), protectedBytes.AsSpan(NonceSize, length), protectedBytes.AsSpan(NonceSize + length), plaintext);
        return plaintext;
    }

    private byte[] Key(bool create)
    {
        if (File.Exists(dir.ProtectorKeyFile))
            return File.ReadAllBytes(dir.ProtectorKeyFile);
        if (!create)
            throw new CryptographicException($"The key protecting the credential material ({dir.ProtectorKeyFile}) is missing.");
        var key = RandomNumberGenerator.GetBytes(32);
        OwnerOnlyFile.Write(dir.ProtectorKeyFile, key, overwrite: false);
        return key;
    }
}
