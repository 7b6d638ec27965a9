using Ferry.Contracts.Keys;

namespace Ferry.Contracts.Tests;

public class AuthKeyTests
{
    private static readonly AuthKey Sample = new("https://ferry.example:8443", "default", "ir-one", Guid.NewGuid(), AuthKey.KeyName2, 3,
        Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_formatted_key_parses_back_to_the_same_server_runtime_and_secret()
    {
        var parsed = AuthKey.Parse(Sample.Format());

        Assert.Equal(Sample.ServerUrl, parsed.ServerUrl);
        Assert.Equal(Sample.Factory, parsed.Factory);
        Assert.Equal(Sample.Runtime, parsed.Runtime);
        Assert.Equal(Sample.RuntimeId, parsed.RuntimeId);
        Assert.Equal(Sample.KeyName, parsed.KeyName);
        Assert.Equal(Sample.Generation, parsed.Generation);
        Assert.Equal(Sample.Secret, parsed.Secret);
    }

    [Fact]
    public void Surrounding_whitespace_from_a_paste_is_ignored()
    {
        Assert.Equal(Sample.RuntimeId, AuthKey.Parse("  " + Sample.Format() + "\n").RuntimeId);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1)]
    public void A_truncated_key_is_reported_as_truncated(int missing)
    {
        var text = Sample.Format();
        var e = Assert.Throws<AuthKeyFormatException>(() => AuthKey.Parse(text[..^missing]));
        Assert.Equal(AuthKeyDefect.Truncated, e.Defect);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_with_a_changed_character_is_reported_as_garbled()
    {
        var text = Sample.Format().ToCharArray();
        var i = text.Length - 20;
        text[i] = text[i] == 'A' ? 'B' : 'A';
        var e = Assert.Throws<AuthKeyFormatException>(() => AuthKey.Parse(new string(text)));
        Assert.Equal(AuthKeyDefect.Garbled, e.Defect);
        Assert.Contains("garbled", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_with_extra_characters_is_reported_as_garbled()
    {
        var e = Assert.Throws<AuthKeyFormatException>(() => AuthKey.Parse(Sample.Format() + "xyz"));
        Assert.Equal(AuthKeyDefect.Garbled, e.Defect);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("IR@6a1b2c3d-aaaa-bbbb-cccc-000000000000@adf@ServiceEndpoint=x.servicebus.windows.net@abc==")]
    public void Text_that_is_not_a_Ferry_key_says_so(string text)
    {
        var e = Assert.Throws<AuthKeyFormatException>(() => AuthKey.Parse(text));
        Assert.Equal(AuthKeyDefect.NotAFerryKey, e.Defect);
        Assert.Contains("not a Ferry authentication key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_never_prints_its_secret()
    {
        Assert.DoesNotContain(Convert.ToBase64String(Sample.Secret), Sample.ToString(), StringComparison.Ordinal);
    }
}
