using System.Security.Cryptography;
using System.Text;
using Ferry.Contracts.Credentials;

namespace Ferry.Contracts.Tests;

public class CredentialEnvelopeTests
{
    private readonly ECDiffieHellman _runtimeKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly Guid _runtimeId = Guid.NewGuid();
    private byte[] PublicKey => _runtimeKey.ExportSubjectPublicKeyInfo();

    [Fact]
    public void A_sealed_secret_opens_with_the_runtimes_private_key()
    {
        var envelope = CredentialEnvelope.Seal(PublicKey, 3, _runtimeId, Encoding.UTF8.GetBytes("{\"password\":\"s3cret\"}"));

        Assert.Equal(3, CredentialEnvelope.VersionOf(envelope));
        Assert.Equal("{\"password\":\"s3cret\"}", Encoding.UTF8.GetString(CredentialEnvelope.Open(_runtimeKey, _runtimeId, envelope)));
        Assert.DoesNotContain("s3cret", envelope, StringComparison.Ordinal);
    }

    [Fact]
    public void Sealing_twice_gives_different_envelopes()
    {
        var secret = Encoding.UTF8.GetBytes("same");
        Assert.NotEqual(CredentialEnvelope.Seal(PublicKey, 1, _runtimeId, secret), CredentialEnvelope.Seal(PublicKey, 1, _runtimeId, secret));
    }

    [Fact]
    public void Another_key_or_another_runtime_cannot_open_it()
    {
        var envelope = CredentialEnvelope.Seal(PublicKey, 1, _runtimeId, Encoding.UTF8.GetBytes("secret"));
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(other, _runtimeId, envelope));
        Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(_runtimeKey, Guid.NewGuid(), envelope));
    }

    [Fact]
    public void A_tampered_envelope_or_a_changed_version_fails_authentication()
    {
        var envelope = CredentialEnvelope.Seal(PublicKey, 1, _runtimeId, Encoding.UTF8.GetBytes("secret"));
        var parts = envelope.Split('.');
        var flipped = parts[4][..^2] + (parts[4][^2] == 'A' ? 'B' : 'A') + parts[4][^1];

        Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(_runtimeKey, _runtimeId, string.Join('.', parts[..4]) + "." + flipped));
        Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(_runtimeKey, _runtimeId, string.Join('.', parts[0], "2", parts[2], parts[3], parts[4])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("password")]
    [InlineData("ferry-cred1.x.a.b.c")]
    [InlineData("ferry-cred1.1.a.b")]
    public void Text_that_is_not_an_envelope_is_a_format_error(string text) =>
        Assert.Throws<FormatException>(() => CredentialEnvelope.VersionOf(text));
}
