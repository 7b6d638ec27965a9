using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;

namespace Ferry.Node.Backup;

/// <summary>
/// dmgcmd -GenerateBackupFile / -ImportBackupFile: the node identity and its credential key in one file, encrypted
/// under a password. Key from PBKDF2-HMAC-SHA256 at 600,000 iterations (OWASP's current figure for it), a random
/// 16-byte salt, AES-256-GCM with the format name as associated data. A wrong password or a changed byte fails the
/// authentication tag, and then nothing is written.
/// </summary>
public static class NodeBackup
{
    public const string Format = "ferry-node-backup/1";
    public const int Iterations = 600_000;
    public const int MinimumPasswordLength = 8;

    public static byte[] Create(NodeIdentity identity, BackupCredential? credential, string password)
    {
        CheckPassword(password);
        var content = JsonSerializer.SerializeToUtf8Bytes(new BackupContent(identity, credential), NodeJsonContext.Default.BackupContent);
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var key = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        var ciphertext = new byte[content.Length];
        var tag = new byte[16];
        try
        {
            using var aes = new AesGcm(key, tag.Length);
            aes.Encrypt(nonce, content, ciphertext, tag, Encoding.ASCII.GetBytes(Format));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(content);
        }
        var file = new BackupFile(Format, "PBKDF2-HMAC-SHA256", Iterations, Convert.ToBase64String(salt), Convert.ToBase64String(nonce),
            Convert.ToBase64String(ciphertext), Convert.ToBase64String(tag));
        return JsonSerializer.SerializeToUtf8Bytes(file, NodeJsonContext.Default.BackupFile);
    }

    public static BackupContent Open(byte[] fileBytes, string password)
    {
        BackupFile? file;
        try
        {
            file = JsonSerializer.Deserialize(fileBytes, NodeJsonContext.Default.BackupFile);
        }
        catch (JsonException)
        {
            file = null;
        }
        if (file is null || file.Format != Format)
            throw new NodeSetupException($"This is not a Ferry node backup file ({Format}). Nothing was changed.");
        if (file.Iterations is < 100_000 or > 10_000_000)
            throw new NodeSetupException("The backup file's key derivation settings are out of range: the file was altered. Nothing was changed.");
        byte[] salt, nonce, ciphertext, tag;
        try
        {
            (salt, nonce, ciphertext, tag) = (Convert.FromBase64String(file.Salt), Convert.FromBase64String(file.Nonce),
                Convert.FromBase64String(file.Ciphertext), Convert.FromBase64String(file.Tag));
        }
        catch (FormatException)
        {
            throw new NodeSetupException("The backup file is damaged (unreadable fields). Nothing was changed.");
        }
        var key = Rfc2898DeriveBytes.Pbkdf2(password, salt, file.Iterations, HashAlgorithmName.SHA256, 32);
        var content = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(nonce, ciphertext, tag, content, Encoding.ASCII.GetBytes(Format));
            return JsonSerializer.Deserialize(content, NodeJsonContext.Default.BackupContent)
                   ?? throw new NodeSetupException("The backup file is empty. Nothing was changed.");
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new NodeSetupException("The password is wrong, or the backup file was altered. Nothing was changed.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(content);
        }
    }

    private static void CheckPassword(string password)
    {
        if (password.Length < MinimumPasswordLength)
            throw new NodeSetupException($"The backup password must have at least {MinimumPasswordLength} characters.");
    }
}

/// <summary>The backup file as stored: the KDF settings and the sealed content.</summary>
public sealed record BackupFile(string Format, string Kdf, int Iterations, string Salt, string Nonce, string Ciphertext, string Tag);

/// <summary>What a backup holds: the node identity and, when the node has it, the runtime's credential key (PKCS#8, base64).</summary>
public sealed record BackupContent(NodeIdentity Identity, BackupCredential? Credential)
{
    public override string ToString() => $"backup of {Identity}";
}

/// <summary>The runtime's credential key in a backup.</summary>
public sealed record BackupCredential(Guid RuntimeId, int Version, string PrivateKey)
{
    public override string ToString() => $"credential key v{Version} of runtime {RuntimeId}";
}
