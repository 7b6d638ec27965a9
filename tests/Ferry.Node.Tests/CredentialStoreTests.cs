using System.Security.Cryptography;
using Ferry.Node.Credentials;
using Ferry.Node.Hosting;

namespace Ferry.Node.Tests;

public sealed class CredentialStoreTests : IDisposable
{
    private readonly NodeDataDirectory _dir = new(Path.Combine(Path.GetTempPath(), "ferry-cred-test-" + Guid.NewGuid().ToString("N")));

    public CredentialStoreTests() => _dir.Create();

    [Fact]
    public void The_credential_key_round_trips_but_its_private_half_is_never_on_disk_in_plain()
    {
        var store = new CredentialStore(_dir, new SecretProtector(_dir));
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var runtimeId = Guid.NewGuid();

        store.Save(runtimeId, 1, key);
        using var reopened = store.OpenPrivateKey(store.Load()!);

        Assert.Equal(key.ExportPkcs8PrivateKey(), reopened.ExportPkcs8PrivateKey());
        Assert.Equal(1, store.VersionFor(runtimeId));
        Assert.Equal(0, store.VersionFor(Guid.NewGuid()));
        var onDisk = File.ReadAllText(_dir.CredentialsFile);
        Assert.DoesNotContain(Convert.ToBase64String(key.ExportPkcs8PrivateKey()), onDisk, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.CredentialsFile));
    }

    [Fact]
    public void Without_the_protector_key_the_material_cannot_be_opened()
    {
        var store = new CredentialStore(_dir, new SecretProtector(_dir));
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        store.Save(Guid.NewGuid(), 1, key);

        File.Delete(_dir.ProtectorKeyFile);

        Assert.ThrowsAny<CryptographicException>(() => store.OpenPrivateKey(store.Load()!));
    }

    public void Dispose() => Directory.Delete(_dir.Path, recursive: true);
}
