using System.Security.Cryptography;
using Ferry.Contracts.Credentials;

namespace Ferry.Contracts.Tests;

public class NodeFingerprintTests
{
    [Fact]
    public void A_fingerprint_is_ten_groups_of_four_hex_digits_of_the_keys_sha256()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var fingerprint = NodeFingerprint.Of(spki);

        Assert.Matches("^([0-9A-F]{4}-){9}[0-9A-F]{4}$", fingerprint);
        Assert.StartsWith(Convert.ToHexString(SHA256.HashData(spki))[..4], fingerprint, StringComparison.Ordinal);
        Assert.Equal(fingerprint, NodeFingerprint.Normalize(fingerprint.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal)));
        Assert.Equal("", NodeFingerprint.Normalize("3F2A-91C0"));
    }

    [Fact]
    public void A_sync_key_proof_holds_only_for_the_signing_node_the_runtime_and_the_exact_key()
    {
        using var identity = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identityPublic = Convert.ToBase64String(identity.ExportSubjectPublicKeyInfo());
        var runtime = Guid.NewGuid();
        const string syncKey = "c3luYy1rZXk=";
        var proof = CredentialSyncProof.Sign(identity, runtime, syncKey);

        Assert.True(CredentialSyncProof.Verify(identityPublic, runtime, syncKey, proof));
        Assert.False(CredentialSyncProof.Verify(identityPublic, runtime, "b3RoZXI=", proof));
        Assert.False(CredentialSyncProof.Verify(identityPublic, Guid.NewGuid(), syncKey, proof));
        Assert.False(CredentialSyncProof.Verify(Convert.ToBase64String(other.ExportSubjectPublicKeyInfo()), runtime, syncKey, proof));
        Assert.False(CredentialSyncProof.Verify(identityPublic, runtime, syncKey, null));
        Assert.False(CredentialSyncProof.Verify(identityPublic, runtime, syncKey, "not base64!"));
    }
}
