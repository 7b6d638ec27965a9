using System.Text;
using System.Text.Json.Nodes;
using Ferry.Node.Backup;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;

namespace Ferry.Node.Tests;

public class NodeBackupTests
{
    private static readonly NodeIdentity Identity = new(Guid.NewGuid(), "node-a", "default", "ir1", Guid.NewGuid(), "http://127.0.0.1:8080",
        Convert.ToBase64String(Encoding.UTF8.GetBytes("private-signing-key")), DateTimeOffset.UnixEpoch);
    private static readonly BackupCredential Credential = new(Identity.RuntimeId, 1, Convert.ToBase64String(Encoding.UTF8.GetBytes("private-credential-key")));

    [Fact]
    public void A_backup_restores_the_identity_and_credential_key_with_the_right_password()
    {
        var file = NodeBackup.Create(Identity, Credential, "correct horse");

        var restored = NodeBackup.Open(file, "correct horse");

        Assert.Equal(Identity, restored.Identity);
        Assert.Equal(Credential, restored.Credential);
        var text = Encoding.UTF8.GetString(file);
        Assert.DoesNotContain(Identity.PrivateKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Credential.PrivateKey, text, StringComparison.Ordinal);
        Assert.Equal(NodeBackup.Iterations, JsonNode.Parse(file)!["iterations"]!.GetValue<int>());
    }

    [Fact]
    public void A_wrong_password_says_so()
    {
        var file = NodeBackup.Create(Identity, Credential, "correct horse");

        var e = Assert.Throws<NodeSetupException>(() => NodeBackup.Open(file, "wrong horse"));

        Assert.Contains("password is wrong, or the backup file was altered", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_file_fails_authentication()
    {
        var document = JsonNode.Parse(NodeBackup.Create(Identity, Credential, "correct horse"))!;
        var ciphertext = Convert.FromBase64String(document["ciphertext"]!.GetValue<string>());
        ciphertext[5] ^= 1;
        document["ciphertext"] = Convert.ToBase64String(ciphertext);

        Assert.Throws<NodeSetupException>(() => NodeBackup.Open(Encoding.UTF8.GetBytes(document.ToJsonString()), "correct horse"));
    }

    [Fact]
    public void Other_files_and_short_passwords_are_refused()
    {
        Assert.Contains("not a Ferry node backup", Assert.Throws<NodeSetupException>(() => NodeBackup.Open("{}"u8.ToArray(), "whatever1")).Message,
            StringComparison.Ordinal);
        Assert.Contains("at least 8", Assert.Throws<NodeSetupException>(() => NodeBackup.Create(Identity, null, "short")).Message, StringComparison.Ordinal);
    }
}
