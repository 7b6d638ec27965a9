using System.Security.Cryptography;
using System.Text;
using Ferry.Contracts.Protocol;

namespace Ferry.Contracts.Tests;

public class NodeRequestSignatureTests
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] _body = Encoding.UTF8.GetBytes("{\"version\":\"1.0.0\"}");

    [Fact]
    public void A_signature_survives_its_header_and_verifies_against_the_public_key()
    {
        var signature = NodeRequestSignature.Sign(_key, Guid.NewGuid(), "POST", "/node/v1/heartbeat", DateTimeOffset.UtcNow, _body);
        var parsed = NodeRequestSignature.TryParse(signature.ToHeaderValue());

        Assert.NotNull(parsed);
        using var publicOnly = ECDsa.Create();
        publicOnly.ImportSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out _);
        Assert.True(parsed.Verify(publicOnly, "POST", "/node/v1/heartbeat", _body));
    }

    [Fact]
    public void A_changed_body_or_path_fails_verification()
    {
        var signature = NodeRequestSignature.Sign(_key, Guid.NewGuid(), "POST", "/node/v1/heartbeat", DateTimeOffset.UtcNow, _body);

        Assert.False(signature.Verify(_key, "POST", "/node/v1/heartbeat", Encoding.UTF8.GetBytes("{\"version\":\"9.9.9\"}")));
        Assert.False(signature.Verify(_key, "POST", "/node/v1/stopping", _body));
    }

    [Fact]
    public void Another_nodes_key_fails_verification()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = NodeRequestSignature.Sign(other, Guid.NewGuid(), "POST", "/node/v1/heartbeat", DateTimeOffset.UtcNow, _body);

        Assert.False(signature.Verify(_key, "POST", "/node/v1/heartbeat", _body));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abc")]
    [InlineData("FerryNode id=nope, ts=1, nonce=a, sig=AAAA")]
    [InlineData("FerryNode id=6f9619ff-8b86-d011-b42d-00c04fc964ff, ts=1, nonce=a")]
    [InlineData("FerryNode id=6f9619ff-8b86-d011-b42d-00c04fc964ff, ts=1, nonce=a, sig=!!!")]
    public void Malformed_headers_are_not_signatures(string? header) => Assert.Null(NodeRequestSignature.TryParse(header));
}
