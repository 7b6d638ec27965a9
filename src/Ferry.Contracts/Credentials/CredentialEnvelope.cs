using System.Security.Cryptography;
using System.Text;

namespace Ferry.Contracts.Credentials;

/// <summary>
/// A secret sealed to a runtime's credential key, so that only the runtime's nodes can open it: ephemeral ECDH on
/// P-256 with the runtime's public key, HKDF-SHA256 over the shared secret (salt: the ephemeral public key), AES-256-GCM
/// with the runtime id and key version as associated data. Text form:
/// <c>ferry-cred1.{version}.{ephemeral public key}.{nonce}.{ciphertext+tag}</c> (base64url parts).
/// Only System.Security.Cryptography primitives; nothing home-made.
/// </summary>
public static class CredentialEnvelope
{
    private const string Prefix = "ferry-cred1";
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("ferry credential envelope v1");

    public static string Seal(byte[] runtimePublicKey, int keyVersion, Guid runtimeId, ReadOnlySpan<byte> plaintext)
    {
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(runtimePublicKey, out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralPublic = ephemeral.ExportSubjectPublicKeyInfo();
        var key = DeriveKey(ephemeral.DeriveRawSecretAgreement(recipient.PublicKey), ephemeralPublic);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var sealedBytes = new byte[plaintext.Length + AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(key, AesGcm.TagByteSizes.MaxSize))
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), AssociatedData(runtimeId, keyVersion));
        CryptographicOperations.ZeroMemory(key);
        return string.Join('.', Prefix, keyVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            System.Buffers.Text.Base64Url.EncodeToString(ephemeralPublic), System.Buffers.Text.Base64Url.EncodeToString(nonce),
            System.Buffers.Text.Base64Url.EncodeToString(sealedBytes));
    }

    /// <summary>The key version an envelope was sealed to; throws <see cref="FormatException"/> when the text is not an envelope.</summary>
    public static int VersionOf(string envelope) => Split(envelope).Version;

    public static byte[] Open(ECDiffieHellman runtimePrivateKey, Guid runtimeId, string envelope)
    {
        var (version, ephemeralPublic, nonce, sealedBytes) = Split(envelope);
        if (sealedBytes.Length < AesGcm.TagByteSizes.MaxSize)
            throw new FormatException("The credential envelope is too short.");
        using var ephemeral = ECDiffieHellman.Create();
        ephemeral.ImportSubjectPublicKeyInfo(ephemeralPublic, out _);
        var key = DeriveKey(runtimePrivateKey.DeriveRawSecretAgreement(ephemeral.PublicKey), ephemeralPublic);
        var plaintext = new byte[sealedBytes.Length - AesGcm.TagByteSizes.MaxSize];
        try
        {
            using var aes = new AesGcm(key, AesGcm.TagByteSizes.MaxSize);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), plaintext, AssociatedData(runtimeId, version));
            return plaintext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static (int Version, byte[] EphemeralPublic, byte[] Nonce, byte[] Sealed) Split(string envelope)
    {
        var parts = envelope.Split('.');
        if (parts.Length != 5 || parts[0] != Prefix || !int.TryParse(parts[1], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 1)
            throw new FormatException($"This is not a Ferry credential envelope ({Prefix}.<version>.<key>.<nonce>.<ciphertext>).");
        return (version, System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]), System.Buffers.Text.Base64Url.DecodeFromChars(parts[3]),
            System.Buffers.Text.Base64Url.DecodeFromChars(parts[4]));
    }

    private static byte[] DeriveKey(byte[] sharedSecret, byte[] salt)
    {
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, 32, salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }
    }

    private static byte[] AssociatedData(Guid runtimeId, int version) => Encoding.ASCII.GetBytes($"{runtimeId:D}/{version}");
}
